"""Read-only admin: every change goes through ``workplaces.services`` (the staff pages)."""

from django.contrib import admin

from .models import (
    Case,
    Clawback,
    Declaration,
    DocumentView,
    IncentivePayment,
    MonthlyReport,
    PledgeRound,
    Signature,
    Workplace,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PledgeRound)
class PledgeRoundAdmin(ReadOnlyAdmin):
    list_display = ("title", "status", "starts_on", "ends_on", "budget")


@admin.register(Workplace)
class WorkplaceAdmin(ReadOnlyAdmin):
    list_display = ("name", "district", "industry", "baseline_headcount")
    search_fields = ("name",)


@admin.register(Declaration)
class DeclarationAdmin(ReadOnlyAdmin):
    list_display = ("workplace", "round", "status")
    list_filter = ("status",)


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ("declaration", "party", "signer", "signed_at", "text_hash")


@admin.register(MonthlyReport)
class MonthlyReportAdmin(ReadOnlyAdmin):
    list_display = ("declaration", "month", "headcount", "dismissals", "source")


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("declaration", "kind", "month", "status")
    list_filter = ("kind", "status")


@admin.register(IncentivePayment)
class IncentivePaymentAdmin(ReadOnlyAdmin):
    list_display = ("declaration", "month", "retained", "amount", "status")


@admin.register(Clawback)
class ClawbackAdmin(ReadOnlyAdmin):
    list_display = ("declaration", "amount", "repaid")


@admin.register(DocumentView)
class DocumentViewAdmin(ReadOnlyAdmin):
    list_display = ("document", "viewer", "viewed_at")
