from django.contrib import admin

from .models import Message, SandboxDelivery, SandboxFault


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Every message and its fate; read-only (messages are sent by the services)."""

    list_display = ("id", "created_at", "kind", "channel", "to", "status", "attempts", "provider")
    list_filter = ("status", "channel", "kind", "category")
    search_fields = ("to", "dedupe_key", "provider_message_id", "user__email", "user__phone")
    raw_id_fields = ("user",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SandboxDelivery)
class SandboxDeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "channel", "to", "kind", "body")
    list_filter = ("channel", "kind")
    search_fields = ("to", "reference")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SandboxFault)
class SandboxFaultAdmin(admin.ModelAdmin):
    list_display = ("to", "failures", "transient", "error_code")
