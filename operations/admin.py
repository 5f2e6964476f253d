from django.contrib import admin

from .models import JobRun, PrepaidSnapshot


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["business_date", "step", "attempt", "status", "trigger", "duration"]
    list_filter = ["step", "status"]
    date_hierarchy = "business_date"
    readonly_fields = [f.name for f in JobRun._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(PrepaidSnapshot)
class PrepaidSnapshotAdmin(admin.ModelAdmin):
    list_display = ["business_date", "shop", "redeemed", "expired", "outstanding"]
    date_hierarchy = "business_date"
    raw_id_fields = ["shop"]
