app_name = "workplaces"
urlpatterns: list = []
