from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender, **kwargs):
    from .services import roles_sync

    roles_sync(using=kwargs.get("using", "default"))


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # Groups and their permissions exist in every schema after every migrate.
        post_migrate.connect(_sync_roles, dispatch_uid="accounts.roles_sync")
        # The admin's sign-in (operators on the platform host, and each city's) is throttled.
        from django.contrib import admin

        from .forms import AdminLoginForm

        admin.site.login_form = AdminLoginForm
