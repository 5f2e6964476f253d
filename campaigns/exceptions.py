from django.utils.translation import gettext_lazy as _

from jeonju_prepay.exceptions import ApplicationError, ConflictError, NotFoundError
from vouchers.exceptions import PaymentNotCancellableError


class CampaignError(ApplicationError):
    code = "campaign_error"


class PledgeRefusedError(CampaignError):
    code = "pledge_refused"


class NotInPhaseError(PledgeRefusedError):
    code = "outside_phase"


class ShopNotInCampaignError(PledgeRefusedError):
    code = "shop_not_in_campaign"
    default_message = _("This shop does not take part in the campaign.")


class PledgeLimitError(PledgeRefusedError):
    code = "pledge_limit"


class InvitationCodeError(CampaignError):
    code = "invitation_code_invalid"
    default_message = _("No organisation has this invitation code.")


class RedemptionError(CampaignError):
    code = "redemption_refused"


class InsufficientPrepaidError(RedemptionError):
    code = "insufficient_prepaid"


class PledgeNotCancellableError(ConflictError):
    code = "pledge_not_cancellable"


class CampaignNotFoundError(NotFoundError):
    code = "campaign_not_found"
    default_message = _("No such campaign.")


class RedemptionNotCancellableError(ConflictError):
    code = "redemption_not_cancellable"


class PaymentOwnedError(PaymentNotCancellableError):
    """A wallet payment that belongs to a pledge or a redemption: it is reversed with its owner."""

    code = "payment_not_cancellable"
