from django.urls import path

from . import views

app_name = "cards"

urlpatterns = [
    path("", views.my_cards, name="mine"),
    path("<int:card_id>/block/", views.card_block, name="card-block"),
    path("desk/", views.desk_home, name="desk-home"),
    path("desk/<int:desk_id>/", views.desk, name="desk"),
    path("desk/<int:desk_id>/accounts/new/", views.desk_account_new, name="desk-account-new"),
    path("desk/<int:desk_id>/citizens/<int:user_id>/", views.desk_citizen, name="desk-citizen"),
    path(
        "desk/<int:desk_id>/citizens/<int:user_id>/card/",
        views.desk_card_issue,
        name="desk-card-issue",
    ),
    path(
        "desk/<int:desk_id>/citizens/<int:user_id>/charge/",
        views.desk_charge,
        name="desk-charge",
    ),
    path(
        "desk/<int:desk_id>/citizens/<int:user_id>/notes/",
        views.desk_notes_sell,
        name="desk-notes-sell",
    ),
    path(
        "desk/<int:desk_id>/cards/<int:card_id>/block/",
        views.desk_card_block,
        name="desk-card-block",
    ),
    path(
        "desk/<int:desk_id>/cards/<int:card_id>/replace/",
        views.desk_card_replace,
        name="desk-card-replace",
    ),
    path("desk/<int:desk_id>/receipts/<int:charge_id>/", views.desk_receipt, name="desk-receipt"),
    path("desk/<int:desk_id>/close/", views.desk_close, name="desk-close"),
    path("notes/", views.batches, name="batches"),
    path("notes/<int:batch_id>/sheet/", views.batch_sheet, name="batch-sheet"),
    path("notes/<int:batch_id>/cancel/", views.batch_cancel, name="batch-cancel"),
]
