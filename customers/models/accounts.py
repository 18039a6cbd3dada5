from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.crypto import EncryptedCharField
from mall.validators import mask_street, normalize_mobile, person_label, validate_mobile

from ..regions import PROVINCES


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, *, email=None, phone=None, password=None, **extra):
        email = self.normalize_email(email).lower() if email else None
        phone = normalize_mobile(phone) if phone else None
        if not email and not phone:
            raise ValueError("A user needs a phone number or an email address.")
        user = self.model(email=email, phone=phone, **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email=email, password=password, **extra)

    def create_superuser(self, email=None, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email=email, password=password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account: a shopper, or staff in one of the roles in ``roles.py``.

    Shoppers sign in with their mobile number or their email, whichever they gave; at
    least one is required, and each is unique across accounts.
    """

    # NULL, not "", for "no phone": the unique constraint must allow many users without one.
    phone = models.CharField(  # noqa: DJ001
        _("mobile number"), max_length=11, null=True, blank=True, validators=[validate_mobile]
    )
    email = models.EmailField(_("email address"), null=True, blank=True, unique=True)
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    marketing_consent = models.BooleanField(
        _("marketing consent"),
        default=False,
        help_text=_("The shopper agreed to receive promotions. Never assumed."),
    )
    marketing_consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    # VIP shoppers' tickets go to their dedicated agent (membership tiers come later).
    is_vip = models.BooleanField(_("VIP"), default=False)
    dedicated_agent = models.ForeignKey(
        "self",
        verbose_name=_("dedicated agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="vip_shoppers",
        limit_choices_to={"is_staff": True},
    )
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(fields=["phone"], name="user_phone_unique"),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(
                condition=Q(phone__isnull=False) | Q(email__isnull=False),
                name="user_has_phone_or_email",
            ),
        ]

    def __str__(self):
        # Wherever a user is named without asking who reads (admin lists, foreign keys,
        # history): the masked form. Staff who may see contact details get them from the
        # pages that ask (mall.validators.person_label).
        return person_label(self)

    def get_username(self):
        # USERNAME_FIELD is email, but a shopper may have only a phone number; login
        # throttling and the admin need a name for every account.
        return self.email or self.phone

    def clean(self):
        # Not AbstractBaseUser.clean, which would copy get_username() (maybe the phone)
        # into USERNAME_FIELD. Emails are stored lower-case; phones as 11 digits.
        if self.email:
            self.email = User.objects.normalize_email(self.email).lower()
        if self.phone:
            self.phone = normalize_mobile(self.phone)

    def get_full_name(self):
        return str(self)

    def get_short_name(self):
        return str(self)


class Address(models.Model):
    """An entry in a shopper's address book, in the Chinese order of a postal address."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="addresses")
    recipient = models.CharField(_("recipient"), max_length=50)
    # Encrypted at rest (mall/crypto.py); never looked up.
    mobile = EncryptedCharField(_("mobile number"), max_length=11, validators=[validate_mobile])
    province = models.CharField(_("province"), max_length=20, choices=PROVINCES)
    city = models.CharField(_("city"), max_length=50)
    district = models.CharField(_("district"), max_length=50)
    street = EncryptedCharField(_("street address"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=6, blank=True)
    is_default = models.BooleanField(_("default address"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_default=True), name="address_one_default_per_user"
            ),
        ]

    def __str__(self):
        # Staff pages name an address by this (admin inlines, foreign keys): street masked.
        # The shopper's own pages show ``one_line``.
        return (
            f"{self.recipient} {self.province}{self.city}{self.district}{mask_street(self.street)}"
        )

    @property
    def one_line(self):
        # The Chinese province name in any language: this is what a parcel label carries.
        return f"{self.province}{self.city}{self.district}{self.street}"


class Notification(models.Model):
    """A message to a shopper, shown on their account page and sent by email when they
    have an address: a parcel shipped, delayed or delivered, a ticket answered, ...
    Written by ``customers.services.notify`` only."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(pgettext_lazy("notification", "message"), blank=True)
    link = models.CharField(_("link"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="notification_user_recent")]

    def __str__(self):
        return self.title
