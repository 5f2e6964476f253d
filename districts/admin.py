from django.contrib import admin

from .models import District


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("name", "ward", "kind", "active", "position")
    list_filter = ("ward", "kind", "active")
    search_fields = ("name",)
