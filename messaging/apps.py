from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    """Messages to citizens: email, SMS and KakaoTalk notification talk (알림톡).

    Sits right above ``accounts`` and below ``ledger``: any domain app may use it, and it imports
    none of them. Domain apps describe their messages in a module ``message_kinds.py`` of their
    own, found here at start-up (as the admin finds ``admin.py``)."""

    name = "messaging"
    verbose_name = _("Messages")

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        from accounts.services import otp_sender_register

        from .services import sign_in_code_send

        autodiscover_modules("message_kinds")
        # accounts (a lower layer) sends its sign-in codes through us.
        otp_sender_register(sign_in_code_send)
