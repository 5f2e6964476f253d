from django.urls import path

from . import views

app_name = "sales"

urlpatterns = [
    path("", views.sale_list, name="list"),
    path("<int:sale_id>/", views.sale_join, name="join"),
    path("<int:sale_id>/ticket/", views.ticket_page, name="ticket"),
    path("<int:sale_id>/ticket/status/", views.ticket_fragment, name="ticket-status"),
    path("<int:sale_id>/ticket/pay/", views.ticket_pay, name="ticket-pay"),
    path("<int:sale_id>/draw/", views.draw_audit, name="draw"),
    path("staff/", views.staff_list, name="staff-list"),
    path("staff/<int:sale_id>/", views.staff_detail, name="staff-detail"),
    path("staff/<int:sale_id>/figures/", views.staff_figures, name="staff-figures"),
    path("staff/<int:sale_id>/<str:action>/", views.staff_action, name="staff-action"),
]
