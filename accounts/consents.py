"""The consent items a citizen is asked for, and the text of each (Personal Information Protection
Act, 개인정보 보호법 art. 15, 22: what is collected, why, for how long, and that the citizen may
refuse, with required and optional items asked separately).

An item's ``version`` names the text it is shown with; a ``ConsentRecord`` keeps the version the
citizen saw. When a text changes, its version changes too, and the old text stays in
``PREVIOUS_TEXTS`` so that what a citizen agreed to can always be read again.

Kinds of item:

- ``required``: sign-up is refused without it (terms of use, collection of the data the service
  cannot run without). It is withdrawn only by leaving the service.
- ``marketing``: optional consent to advertising messages, one per channel (email, SMS,
  KakaoTalk). Off unless granted; withdrawn at any time on the consent page.
- ``service``: the citizen's choice of channels for service messages (receipts, results, the
  expiry of a prepaid balance). On unless the citizen turns a channel off; these are not
  advertising and need no consent, but the choice is recorded the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

REQUIRED = "required"
MARKETING = "marketing"
SERVICE = "service"

EMAIL, SMS, ALIMTALK = "email", "sms", "alimtalk"
CHANNELS = (EMAIL, SMS, ALIMTALK)


@dataclass(frozen=True)
class ConsentItem:
    code: str
    kind: str  # REQUIRED | MARKETING | SERVICE
    version: str
    title: str
    text: str
    channel: str = ""

    @property
    def required(self) -> bool:
        return self.kind == REQUIRED

    @property
    def default(self) -> bool:
        """The state of an item with no record: service channels on, everything else off."""
        return self.kind == SERVICE


_COLLECTION_TEXT = _(
    "What we collect: your name, email address or mobile number, password (stored only as a "
    "hash), and the records of your wallet charges, payments, prepayments and refunds. "
    "Why: to run your account and your Love Gift Certificate wallet, to pay shops and refund "
    "you, and to meet the city's legal duties for prepaid money. "
    "How long: your account data until you leave the service; records of money movements for "
    "5 years after the transaction, as the Electronic Financial Transactions Act requires. "
    "You may refuse, but then you cannot use the service."
)
_MARKETING_TEXT = _(
    "What we collect: your %(contact)s. Why: to tell you about new campaigns, incentives and "
    "events of the city's good-prepayment programme (advertising). How long: until you "
    "withdraw this consent, which you can do at any time on the consent page. Refusing does not "
    "limit your use of the service."
)

CONSENT_ITEMS: dict[str, ConsentItem] = {
    item.code: item
    for item in [
        ConsentItem(
            "terms",
            REQUIRED,
            "2026-12",
            _("Terms of use"),
            _(
                "The city's terms of use of the good-prepayment service and the Love Gift "
                "Certificate wallet: charging, paying, prepaying shops, refunds and the rules "
                "for incentives and cashback."
            ),
        ),
        ConsentItem(
            "privacy_required",
            REQUIRED,
            "2026-12",
            _("Collection and use of personal information (required)"),
            _COLLECTION_TEXT,
        ),
        ConsentItem(
            "marketing_email",
            MARKETING,
            "2026-12",
            _("News and offers by email (optional)"),
            _MARKETING_TEXT,
            EMAIL,
        ),
        ConsentItem(
            "marketing_sms",
            MARKETING,
            "2026-12",
            _("News and offers by text message (optional)"),
            _MARKETING_TEXT,
            SMS,
        ),
        ConsentItem(
            "marketing_alimtalk",
            MARKETING,
            "2026-12",
            _("News and offers by KakaoTalk (optional)"),
            _MARKETING_TEXT,
            ALIMTALK,
        ),
        ConsentItem(
            "service_email",
            SERVICE,
            "2026-12",
            _("Receipts and notices by email"),
            _("Receipts of charges, payments, prepayments and refunds, and expiry notices."),
            EMAIL,
        ),
        ConsentItem(
            "service_sms",
            SERVICE,
            "2026-12",
            _("Receipts and notices by text message"),
            _("Receipts of charges, payments, prepayments and refunds, and expiry notices."),
            SMS,
        ),
        ConsentItem(
            "service_alimtalk",
            SERVICE,
            "2026-12",
            _("Receipts and notices by KakaoTalk"),
            _(
                "Receipts of charges, payments, prepayments and refunds, and expiry notices, as "
                "KakaoTalk notification talk (a text message when KakaoTalk cannot deliver)."
            ),
            ALIMTALK,
        ),
    ]
}

# Texts of versions no longer shown, by (code, version): nothing has changed yet.
PREVIOUS_TEXTS: dict[tuple[str, str], str] = {}

CONTACT_WORDS = {EMAIL: _("email address"), SMS: _("mobile number"), ALIMTALK: _("mobile number")}


def item_text(item: ConsentItem) -> str:
    """The full text of an item as shown to the citizen (in the active language)."""
    if item.kind == MARKETING:
        return str(item.text) % {"contact": CONTACT_WORDS[item.channel]}
    return str(item.text)


def required_items() -> list[ConsentItem]:
    return [i for i in CONSENT_ITEMS.values() if i.kind == REQUIRED]


def marketing_items() -> list[ConsentItem]:
    return [i for i in CONSENT_ITEMS.values() if i.kind == MARKETING]


def service_items() -> list[ConsentItem]:
    return [i for i in CONSENT_ITEMS.values() if i.kind == SERVICE]


def marketing_item_for(channel: str) -> ConsentItem:
    return CONSENT_ITEMS[f"marketing_{channel}"]


def service_item_for(channel: str) -> ConsentItem:
    return CONSENT_ITEMS[f"service_{channel}"]
