"""Read-mostly admin: every change goes through ``rentals.services`` (the staff pages), so the
admin shows agreements, signatures and their history without editing them."""

from django.contrib import admin

from .models import Agreement, AgreementEvent, Lease, Property, RentalPolicy, Signature


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SignatureInline(admin.TabularInline):
    model = Signature
    extra = 0
    can_delete = False
    readonly_fields = ("party", "signer", "terms_hash", "terms_version", "signed_at")

    def has_add_permission(self, request, obj=None):
        return False


class AgreementEventInline(admin.TabularInline):
    model = AgreementEvent
    extra = 0
    can_delete = False
    readonly_fields = ("action", "from_status", "to_status", "actor", "reason", "created_at")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "status",
        "lease",
        "monthly_reduction",
        "months",
        "total_reduction",
        "clawback",
        "created_at",
    )
    list_filter = ("status", "reduction_kind", "clawback")
    search_fields = ("lease__property__address", "lease__tenant_shop__name", "terms_hash")
    inlines = [SignatureInline, AgreementEventInline]


@admin.register(Property)
class PropertyAdmin(ReadOnlyAdmin):
    list_display = ("address", "unit", "district", "landlord", "created_at")
    list_filter = ("district",)
    search_fields = ("address", "landlord__email")


@admin.register(Lease)
class LeaseAdmin(ReadOnlyAdmin):
    list_display = (
        "property",
        "tenant_shop",
        "kind",
        "monthly_rent",
        "deposit",
        "start_date",
        "end_date",
    )
    list_filter = ("kind",)


@admin.register(RentalPolicy)
class RentalPolicyAdmin(ReadOnlyAdmin):
    list_display = (
        "effective_from",
        "min_reduction_bp",
        "min_months",
        "property_tax_cut_bp",
        "national_credit_bp",
        "national_credit_high_income_bp",
        "renewal_cap_bp",
    )
