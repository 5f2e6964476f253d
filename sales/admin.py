from django.contrib import admin

from .models import Sale, SaleEvent, Ticket


@admin.register(Sale)
class SaleAdmin(admin.ModelAdmin):
    list_display = ("name", "mode", "amount", "status", "opens_at", "closes_at")
    # The seed stays out of sight until the draw publishes it (the audit page shows it then).
    exclude = ("seed",)
    readonly_fields = ("seed_commitment", "drawn_at", "decided_through")


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("sale", "number", "state", "requested", "allocated")
    list_filter = ("state",)
    raw_id_fields = ("user", "charge", "chunk")


@admin.register(SaleEvent)
class SaleEventAdmin(admin.ModelAdmin):
    list_display = ("sale", "kind", "at")
