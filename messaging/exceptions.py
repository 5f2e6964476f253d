from django.utils.translation import gettext_lazy as _

from jeonju_prepay.exceptions import ApplicationError


class MessagingError(ApplicationError):
    code = "message_invalid"


class UnknownMessageKindError(MessagingError):
    code = "message_kind_unknown"
    default_message = _("No such kind of message.")
