from django.urls import path

from . import views

app_name = "rentals"

urlpatterns = [
    path("", views.home, name="home"),
    path("properties/new/", views.property_create, name="property-create"),
    path("properties/<int:property_id>/leases/new/", views.lease_create, name="lease-create"),
    path("leases/<int:lease_id>/", views.lease_detail, name="lease-detail"),
    path("leases/<int:lease_id>/change/", views.lease_change, name="lease-change"),
    path("leases/<int:lease_id>/propose/", views.agreement_propose, name="agreement-propose"),
    path("agreements/<int:agreement_id>/", views.agreement_detail, name="agreement-detail"),
    path("agreements/<int:agreement_id>/edit/", views.agreement_edit, name="agreement-edit"),
    path(
        "agreements/<int:agreement_id>/reliefs/",
        views.agreement_reliefs,
        name="agreement-reliefs",
    ),
    path("agreements/<int:agreement_id>/sign/", views.agreement_sign, name="agreement-sign"),
    path(
        "agreements/<int:agreement_id>/decline/",
        views.agreement_decline,
        name="agreement-decline",
    ),
    path("agreements/<int:agreement_id>/verify/", views.agreement_verify, name="agreement-verify"),
    path("agreements/<int:agreement_id>/reject/", views.agreement_reject, name="agreement-reject"),
    path("agreements/<int:agreement_id>/print/", views.agreement_print, name="agreement-print"),
    path(
        "agreements/<int:agreement_id>/certificate/",
        views.agreement_certificate,
        name="agreement-certificate",
    ),
    path("staff/", views.staff_list, name="staff-list"),
    path("staff/report/", views.report, name="report"),
    path("staff/report.csv", views.report_csv, name="report-csv"),
    path("staff/policy/", views.policy, name="policy"),
]
