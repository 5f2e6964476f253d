from django.contrib import admin

from .models import AssistedAction, Card, Desk, DeskCharge, DeskClose, NoteBatch


@admin.register(Desk)
class DeskAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "is_active")
    filter_horizontal = ("staff",)


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = ("__str__", "user", "status", "issued_at", "blocked_at")
    list_filter = ("status",)
    exclude = ("pin_hash", "number")
    readonly_fields = ("user", "status", "issued_by", "desk", "replaces", "blocked_by")

    def has_add_permission(self, request):
        return False  # issued through cards.services (a PIN, one active card per citizen)


@admin.register(NoteBatch)
class NoteBatchAdmin(admin.ModelAdmin):
    list_display = ("__str__", "status", "expires_on", "created_at")

    def has_add_permission(self, request):
        return False  # printed through cards.services.batch_create


@admin.register(DeskCharge)
class DeskChargeAdmin(admin.ModelAdmin):
    list_display = ("receipt_number", "desk", "staff", "user", "method", "amount")

    def has_add_permission(self, request):
        return False


@admin.register(DeskClose)
class DeskCloseAdmin(admin.ModelAdmin):
    list_display = ("desk", "business_date", "expected", "counted", "closed_by")

    def has_add_permission(self, request):
        return False


@admin.register(AssistedAction)
class AssistedActionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "staff", "desk", "citizen", "amount")
    list_filter = ("kind",)

    def has_add_permission(self, request):
        return False
