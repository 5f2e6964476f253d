from django.urls import path

from . import api

urlpatterns = [
    path("sales", api.SaleCreateApi.as_view(), name="sales"),
    path("sales/<int:sale_id>", api.SaleDetailApi.as_view(), name="sale"),
    path("sales/<int:sale_id>/pause", api.SaleActionApi.as_view(action="pause"), name="sale-pause"),
    path(
        "sales/<int:sale_id>/resume", api.SaleActionApi.as_view(action="resume"), name="sale-resume"
    ),
    path("sales/<int:sale_id>/draw", api.SaleActionApi.as_view(action="draw"), name="sale-draw"),
    path("sales/<int:sale_id>/audit", api.DrawApi.as_view(), name="sale-audit"),
    path("sales/<int:sale_id>/queue", api.QueueApi.as_view(), name="sale-queue"),
    path("sales/<int:sale_id>/queue/<int:ticket>", api.TicketApi.as_view(), name="sale-ticket"),
    path(
        "sales/<int:sale_id>/queue/<int:ticket>/pay",
        api.TicketPayApi.as_view(),
        name="sale-ticket-pay",
    ),
]
