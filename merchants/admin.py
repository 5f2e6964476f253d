from django.contrib import admin

from .models import (
    ClerkInvitation,
    CodeLookupFailure,
    Device,
    EligibilityRefusal,
    Shop,
    ShopEvent,
    ShopMember,
    ShopPolicy,
)


class ShopMemberInline(admin.TabularInline):
    model = ShopMember
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ("name", "business_number", "category", "district", "status", "created_at")
    list_filter = ("status", "category", "district")
    search_fields = ("name", "business_number", "owner__email")
    raw_id_fields = ("owner", "reviewed_by")
    readonly_fields = ("public_code", "created_at", "updated_at", "approved_at", "closed_at")
    inlines = [ShopMemberInline]


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("name", "shop", "token_prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("token_hash", "token_prefix")
    raw_id_fields = ("shop", "registered_by")


@admin.register(ShopEvent)
class ShopEventAdmin(admin.ModelAdmin):
    list_display = ("shop", "action", "from_status", "to_status", "actor", "created_at")
    list_filter = ("action",)


@admin.register(CodeLookupFailure)
class CodeLookupFailureAdmin(admin.ModelAdmin):
    list_display = ("shop", "device", "actor", "reason", "client_ip", "created_at")
    list_filter = ("reason",)


admin.site.register(ShopPolicy)
admin.site.register(EligibilityRefusal)
admin.site.register(ClerkInvitation)
