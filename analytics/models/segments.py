"""RFM scores of the shoppers who bought (recency, frequency, monetary), rebuilt nightly
by SQL (``analytics.services.segments``), and the named segment each falls in."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Segment(models.TextChoices):
    """High means a score of ``HIGH`` or more (of 1-5). Checked in this order; the first
    that fits names the shopper."""

    NEW = "new", _("New customers")
    IMPORTANT_VALUE = "important_value", _("Important value customers")
    IMPORTANT_KEEP = "important_keep", _("Important customers to keep")
    IMPORTANT_DEVELOP = "important_develop", _("Important customers to develop")
    IMPORTANT_WIN_BACK = "important_win_back", _("Important customers to win back")
    PROMISING = "promising", _("Promising customers")
    AT_RISK = "at_risk", _("At risk of churning")
    ORDINARY = "ordinary", _("Ordinary customers")
    LOST = "lost", _("Lost customers")


HIGH = 3

# What each segment means, shown beside its count (R, F, M: high or low); formatted with
# ``days`` (MALL_RFM_NEW_DAYS).
DEFINITIONS = {
    Segment.NEW: _("Their only order so far came in the last %(days)s days."),
    Segment.IMPORTANT_VALUE: _("R high, F high, M high: recent, frequent, big spenders."),
    Segment.IMPORTANT_KEEP: _("R low, F high, M high: bought often and much, not lately."),
    Segment.IMPORTANT_DEVELOP: _("R high, F low, M high: spend much, recently, but seldom."),
    Segment.IMPORTANT_WIN_BACK: _("R low, F low, M high: spent much once, long ago."),
    Segment.PROMISING: _("R high, F high, M low: recent and frequent, small baskets."),
    Segment.AT_RISK: _("R low, F high, M low: used to buy often, stopped."),
    Segment.ORDINARY: _("R high, F low, M low: recent, seldom, small baskets."),
    Segment.LOST: _("R low, F low, M low: bought little, seldom, long ago."),
}


class CustomerScore(models.Model):
    """One shopper's RFM over the orders of the window (``MALL_RFM_DAYS``, cancelled orders
    left out). Scores are quintiles 1-5 by percent rank, ties sharing the lower score;
    recency scores 5 for the most recent. The table is replaced whole each night."""

    user = models.OneToOneField(
        "customers.User",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("shopper"),
    )
    first_order_at = models.DateTimeField(_("first order"))
    last_order_at = models.DateTimeField(_("last order"))
    recency_days = models.IntegerField(_("days since the last order"))
    frequency = models.IntegerField(_("orders"))
    monetary = models.DecimalField(_("spent"), max_digits=14, decimal_places=2)
    r_score = models.PositiveSmallIntegerField("R")
    f_score = models.PositiveSmallIntegerField("F")
    m_score = models.PositiveSmallIntegerField("M")
    segment = models.CharField(_("segment"), max_length=24, choices=Segment.choices)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("customer RFM score")
        verbose_name_plural = _("customer RFM scores")
        indexes = [models.Index(fields=["segment", "-monetary"], name="analytics_rfm_segment")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(r_score__range=(1, 5))
                & models.Q(f_score__range=(1, 5))
                & models.Q(m_score__range=(1, 5)),
                name="analytics_rfm_scores_1_to_5",
            )
        ]

    def __str__(self):
        return f"{self.user_id}: {self.segment}"
