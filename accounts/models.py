"""People of one city. Each city's schema has its own users table: a user of one city does not
exist in another. Platform operators are users of the public schema."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Now
from django.utils.translation import gettext_lazy as _

from .roles import Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        # A citizen helped at a community centre may have a phone number and no email address.
        if not email and not extra_fields.get("phone"):
            raise ValueError("An email address or a phone number is required.")
        email = self.normalize_email(email).lower() if email else None
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractUser):
    """Signs in with an email address and password, or with a mobile number and a one-time code.

    ``name`` is the full name, shown masked to shops. ``email`` is empty (NULL) for a citizen
    who has only a phone (an account made for them at a community centre); ``phone`` is stored
    normalised (``01012345678``, see ``accounts.phone``) and unique in the city when set.
    ``language`` is the language messages are written in. ``created_by`` is the staff member
    who made the account for the citizen (assisted sign-up), empty for self sign-up."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True, null=True, blank=True)
    name = models.CharField(_("name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default="ko", db_default="ko"
    )
    created_by = models.ForeignKey(
        "self",
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci"),
            # One account per mobile number in a city (each city has its own users table).
            models.UniqueConstraint(
                fields=["phone"], condition=~Q(phone=""), name="accounts_user_phone_unique"
            ),
            models.CheckConstraint(
                condition=Q(email__isnull=False) | ~Q(phone=""),
                name="accounts_user_email_or_phone",
            ),
        ]
        permissions = [("create_staff", "Can create city staff accounts")]

    def __str__(self) -> str:
        return self.name or self.email or self.phone

    def get_full_name(self) -> str:
        return self.name or self.email or self.phone

    def get_short_name(self) -> str:
        return self.name or (self.email or "").split("@")[0] or self.phone

    @property
    def roles(self) -> set[str]:
        """Role names from the user's groups, cached on the instance for one request."""
        cached = getattr(self, "_roles_cache", None)
        if cached is None:
            cached = set(self.groups.values_list("name", flat=True)) & set(Role.values)
            self._roles_cache = cached
        return cached

    def has_role(self, role: str) -> bool:
        return role in self.roles


class ConsentRecord(models.Model):
    """One grant or withdrawal of one consent item by one person (Personal Information Protection
    Act): who, what (``item`` of ``accounts.consents.CONSENT_ITEMS``), granted or not, which
    version of the text they were shown, in which language, when, how and, for a form a staff
    member filled in with the citizen, which staff member. Append-only: the database refuses an
    UPDATE or DELETE (migration 0002); the current state of an item is its latest row."""

    class Source(models.TextChoices):
        SIGNUP = "signup", _("Sign-up")
        CONSENT_PAGE = "consent_page", _("Consent page")
        ASSISTED = "assisted", _("At a community centre")
        DEMO = "demo", _("Demo data")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consent_records"
    )
    item = models.CharField(_("item"), max_length=40)
    granted = models.BooleanField(_("granted"))
    text_version = models.CharField(_("text version"), max_length=20)
    language = models.CharField(_("language"), max_length=5)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    created_at = models.DateTimeField(_("when"), db_default=Now())

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "item", "-id"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.item} {'+' if self.granted else '-'} v{self.text_version}"


class SignInCode(models.Model):
    """A one-time sign-in code sent to a mobile number. Only an HMAC of the code is kept
    (``accounts.services.otp_hash``, keyed by SECRET_KEY). A code lives 3 minutes, takes a few
    tries, and is spent by the first right one; a newer code for the number replaces it.
    ``user`` is empty when the number belongs to nobody (the answer to the asker is the same)."""

    phone = models.CharField(max_length=20)
    code_hash = models.CharField(max_length=100)  # salt$hmac
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(db_default=Now())
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["phone", "-id"])]

    def __str__(self) -> str:
        return f"sign-in code #{self.pk}"
