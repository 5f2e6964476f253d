app_name = "rentals"

urlpatterns: list = []
