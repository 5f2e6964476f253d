from django.contrib import admin

from .models import AngelShop, Donation, FundGrant, Gift, RelayNomination


@admin.register(Gift)
class GiftAdmin(admin.ModelAdmin):
    list_display = ("id", "sender", "recipient", "amount", "status", "business_date")
    list_filter = ("status",)
    readonly_fields = [f.name for f in Gift._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Donation)
class DonationAdmin(admin.ModelAdmin):
    list_display = ("id", "source", "user", "shop", "amount", "business_date")
    list_filter = ("source",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FundGrant)
class FundGrantAdmin(admin.ModelAdmin):
    list_display = ("id", "recipient", "purpose", "amount", "business_date")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


admin.site.register(AngelShop)
admin.site.register(RelayNomination)
