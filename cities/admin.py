from django.contrib import admin
from django.db import connection
from django_tenants.utils import get_public_schema_name

from .models import City, Domain


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ("name", "schema_name", "is_active", "created_at")
    search_fields = ("name", "schema_name")
    inlines = [DomainInline]

    def get_readonly_fields(self, request, obj=None):
        return ("schema_name", "created_at") if obj else ("created_at",)

    def has_module_permission(self, request):
        # Cities are managed from the platform host only.
        return connection.schema_name == get_public_schema_name() and super().has_module_permission(
            request
        )
