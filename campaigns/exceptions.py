from django.utils.translation import gettext_lazy as _

from jeonju_prepay.exceptions import ApplicationError, ConflictError, NotFoundError


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
