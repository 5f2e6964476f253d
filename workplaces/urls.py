from django.urls import path

from . import views

app_name = "workplaces"

urlpatterns = [
    path("", views.public_list, name="list"),
    path("mine/", views.home, name="home"),
    path("register/", views.register, name="register"),
    path("<int:workplace_id>/", views.detail, name="detail"),
    path("<int:workplace_id>/pledge/", views.pledge, name="pledge"),
    path("<int:workplace_id>/report/", views.report, name="report"),
    path("<int:workplace_id>/evidence/", views.evidence_upload, name="evidence-upload"),
    path("<int:workplace_id>/openings/", views.openings, name="openings"),
    path("<int:workplace_id>/worker-report/", views.worker_report, name="worker-report"),
    path("evidence/<int:document_id>/", views.evidence_open, name="evidence-open"),
    path("declarations/<int:declaration_id>/", views.declaration, name="declaration"),
    path(
        "declarations/<int:declaration_id>/verify/",
        views.declaration_verify,
        name="declaration-verify",
    ),
    path(
        "declarations/<int:declaration_id>/reject/",
        views.declaration_reject,
        name="declaration-reject",
    ),
    path(
        "declarations/<int:declaration_id>/deferrals/",
        views.tax_deferral,
        name="tax-deferral",
    ),
    path(
        "declarations/<int:declaration_id>/repay/",
        views.clawback_repay,
        name="clawback-repay",
    ),
    path("help/", views.help_request, name="help"),
    path("staff/", views.staff, name="staff"),
    path("staff/rounds/new/", views.round_create, name="round-create"),
    path("staff/rounds/<int:round_id>/publish/", views.round_publish, name="round-publish"),
    path("staff/rounds/<int:round_id>/fund/", views.round_fund, name="round-fund"),
    path("staff/month/", views.month_run, name="month-run"),
    path("staff/cases/<int:case_id>/", views.case_detail, name="case"),
    path("staff/import/", views.reports_import, name="import"),
    path("staff/help/<int:request_id>/", views.help_match, name="help-match"),
]
