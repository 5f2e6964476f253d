"""Read-only admin pages for the ledger: nothing here can add, change or delete."""

from django.contrib import admin

from .models import Account, Entry, IdempotencyRecord, Posting


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PostingInline(admin.TabularInline):
    model = Posting
    fields = ("account", "amount")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "owner_user", "owner_shop_id", "shard", "provider", "balance")
    list_filter = ("kind",)
    search_fields = ("owner_user__email",)
    list_select_related = ("owner_user",)


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "business_date", "created_at", "actor", "memo")
    list_filter = ("kind", "business_date")
    search_fields = ("idempotency_key", "memo")
    date_hierarchy = "business_date"
    inlines = [PostingInline]
    list_select_related = ("actor",)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ("scope", "key", "status_code", "created_at")
    search_fields = ("scope", "key")
