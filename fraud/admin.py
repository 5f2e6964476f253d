from django.contrib import admin

from .models import Case, CaseDecision, FraudSettings, IncentiveHold


class ReadOnly(admin.ModelAdmin):
    """Cases change only through ``fraud.services`` (each decision moves money)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnly):
    list_display = ("id", "subject", "shop", "user", "status", "score", "last_date")
    list_filter = ("status", "subject")


@admin.register(CaseDecision)
class CaseDecisionAdmin(ReadOnly):
    list_display = ("case", "action", "by", "created_at")


@admin.register(IncentiveHold)
class IncentiveHoldAdmin(ReadOnly):
    list_display = ("case", "user", "amount", "entry", "released_entry")


@admin.register(FraudSettings)
class FraudSettingsAdmin(ReadOnly):
    list_display = ("id", "changed_by", "created_at")
