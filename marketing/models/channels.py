"""Advertising channels (search ads, social, short video, KOL, SMS, email, affiliates),
the agreements that bind them (fee model, rates, dates, contact, document), and the
placements bought from them for a campaign, each with a tracked link: ``/go/<code>``
redirects to the landing page with the placement's UTM parameters (``utm_source`` the
channel, ``utm_medium`` its kind, ``utm_campaign`` the placement's code), which the
analytics session keeps and the channel report credits orders by."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.Model):
    class Kind(models.TextChoices):
        SEARCH = "search", _("Search ads")
        SOCIAL = "social", _("Social media")
        SHORT_VIDEO = "short_video", _("Short video")
        KOL = "kol", _("KOL / influencer")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("Email")
        AFFILIATE = "affiliate", _("Affiliates")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    source = models.SlugField(
        _("UTM source"),
        max_length=60,
        unique=True,
        help_text=_("The utm_source of its links, e.g. baidu, douyin, weibo."),
    )
    audience = models.CharField(_("audience"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name


class ChannelAgreement(models.Model):
    class FeeModel(models.TextChoices):
        CPC = "cpc", _("Cost per click (CPC)")
        CPM = "cpm", _("Cost per thousand impressions (CPM)")
        CPS = "cps", _("Share of sales (CPS)")
        FLAT = "flat", _("Flat fee")

    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.PROTECT, related_name="agreements"
    )
    fee_model = models.CharField(_("fee model"), max_length=4, choices=FeeModel.choices)
    rate = models.DecimalField(
        _("rate"),
        max_digits=12,
        decimal_places=4,
        help_text=_(
            "Per click, per thousand impressions, a share of sales (0.05 = 5%), or the flat fee."
        ),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    document = models.CharField(
        _("document"),
        max_length=300,
        blank=True,
        help_text=_("Where the signed agreement is kept."),
    )

    class Meta:
        verbose_name = _("channel agreement")
        verbose_name_plural = _("channel agreements")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="channel_agreement_dates"
            ),
            models.CheckConstraint(condition=Q(rate__gte=0), name="channel_agreement_rate"),
        ]

    def __str__(self):
        return f"{self.channel} · {self.get_fee_model_display()} {self.rate}"


class Placement(models.Model):
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.PROTECT, related_name="placements"
    )
    campaign = models.ForeignKey(
        "marketing.Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="placements",
    )
    name = models.CharField(_("name"), max_length=80)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, help_text=_("What the placement costs.")
    )
    impressions = models.PositiveIntegerField(
        _("impressions"), null=True, blank=True, help_text=_("As the channel reports them.")
    )
    creative = models.CharField(_("creative"), max_length=300, blank=True)
    landing_page = models.CharField(
        _("landing page"), max_length=300, help_text=_("A path in the shop, e.g. /products/12/.")
    )
    code = models.SlugField(_("short code"), max_length=16, unique=True)
    clicks = models.PositiveIntegerField(_("clicks"), default=0)
    created_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="placement_interval"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="placement_amount"),
            models.CheckConstraint(
                condition=Q(landing_page__startswith="/"), name="placement_landing_in_shop"
            ),
        ]

    def __str__(self):
        return f"{self.channel} · {self.name}"


class ChannelSpendImport(models.Model):
    """A CSV file of channel spend imported once: its SHA-256 is unique, so importing the
    same file again writes nothing."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    filename = models.CharField(_("file name"), max_length=200)
    rows = models.PositiveIntegerField(_("rows"))
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    imported_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)

    class Meta:
        verbose_name = _("channel spend import")
        verbose_name_plural = _("channel spend imports")
        ordering = ["-imported_at", "-pk"]

    def __str__(self):
        return self.filename


class ChannelSpend(models.Model):
    """What a placement cost on a day, as the channel billed it (append-only), recorded by
    hand or from an imported file. When the placement belongs to a campaign it is booked
    on the campaign's budget ledger (``CampaignSpend`` of kind 'channel')."""

    placement = models.ForeignKey(
        Placement, verbose_name=_("placement"), on_delete=models.PROTECT, related_name="spends"
    )
    spent_on = models.DateField(_("day"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    impressions = models.PositiveIntegerField(_("impressions"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    imported = models.ForeignKey(
        ChannelSpendImport,
        verbose_name=_("imported from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="spends",
    )
    booking = models.OneToOneField(
        "marketing.CampaignSpend",
        verbose_name=_("budget booking"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        "customers.User", verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("channel spend")
        verbose_name_plural = _("channel spend")
        ordering = ["-spent_on", "-pk"]
        indexes = [models.Index(fields=["placement", "spent_on"], name="channel_spend_day_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="channel_spend_positive"),
        ]

    def __str__(self):
        return f"{self.placement_id} {self.spent_on} {self.amount}"
