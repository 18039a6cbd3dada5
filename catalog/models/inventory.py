"""Stock per SKU per warehouse, and the append-only ledger of every change to it.

The database keeps ``0 <= reserved <= on_hand`` with CHECK constraints, so no code path
can oversell. The inventory issue adds reservations, stocktakes and reconciliation.
"""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Warehouse(models.Model):
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    province = models.CharField(_("province"), max_length=20)
    city = models.CharField(_("city"), max_length=50)
    is_active = models.BooleanField(_("active"), default=True)
    dispatch_days = models.PositiveSmallIntegerField(
        _("days to dispatch"),
        default=2,
        help_text=_(
            "A paid order's parcel must leave within this many days of the payment; "
            "declared holidays do not count."
        ),
    )
    lead = models.ForeignKey(
        "customers.User",
        verbose_name=_("warehouse lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Told when a parcel is about to miss its ship-by deadline."),
    )

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]

    def __str__(self):
        return self.name


class StockQuerySet(models.QuerySet):
    def sellable(self):
        """Stock that can be sold: in active warehouses. Pages, the API and reservations
        all count availability through this, so they never disagree. Stock frozen for a
        stocktake is not sellable until the count ends."""
        return self.filter(warehouse__is_active=True, frozen=False)


class Stock(models.Model):
    sku = models.ForeignKey(
        "catalog.SKU", on_delete=models.PROTECT, related_name="stocks", verbose_name=_("SKU")
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="stocks", verbose_name=_("warehouse")
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    frozen = models.BooleanField(
        _("frozen for a count"),
        default=False,
        help_text=_("Set while a stocktake that freezes sales counts this stock."),
    )

    objects = StockQuerySet.as_manager()

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        permissions = [
            ("adjust_stock", "Can adjust stock with a reason"),
            ("transfer_stock", "Can transfer stock between warehouses"),
            ("view_stock_reports", "Can view stock reports"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["sku", "warehouse"], name="stock_per_sku_warehouse"),
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="stock_reserved_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="stock_reserved_within_on_hand"
            ),
        ]

    def __str__(self):
        return f"{self.sku_id}@{self.warehouse_id}: {self.on_hand}/{self.reserved}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMovement(models.Model):
    """One change to a stock row. Append-only: the sum of ``quantity`` is ``on_hand``."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Purchase receipt")
        RESERVATION = "reservation", _("Reservation")
        RELEASE = "release", _("Release of a reservation")
        SALE = "sale", _("Sale (shipped)")
        RETURN = "return", _("Return to stock")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        TRANSFER_IN = "transfer_in", _("Transfer in")
        STOCKTAKE_GAIN = "stocktake_gain", _("Stocktake gain")
        STOCKTAKE_LOSS = "stocktake_loss", _("Stocktake loss")
        ADJUSTMENT = "adjustment", _("Manual adjustment")

    stock = models.ForeignKey(
        Stock, on_delete=models.PROTECT, related_name="movements", verbose_name=_("stock")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    quantity = models.IntegerField(_("change to on hand"))
    reserved_change = models.IntegerField(_("change to reserved"), default=0)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    actor = models.ForeignKey(
        "customers.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | ~Q(reason=""),
                name="stock_adjustment_needs_reason",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.quantity:+d}"


class Reservation(models.Model):
    """Units held for an order until it is paid and shipped (consumed), or given back
    (released, on cancel, or expired when payment never came). ``Stock.reserved`` is
    the sum of the open reservations of that stock row."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RELEASED = "released", _("Released")
        CONSUMED = "consumed", _("Consumed (shipped)")
        EXPIRED = "expired", _("Expired")

    stock = models.ForeignKey(
        Stock, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("stock")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=Q(status="open"),
                name="reservation_open_expiry_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="reservation_quantity_positive"
            )
        ]

    def __str__(self):
        return f"{self.quantity} × {self.stock_id} ({self.get_status_display()})"


class StockDiscrepancy(models.Model):
    """Drift found by the reconciliation job, kept with its figures until a person
    explains it. The job never corrects stock itself: a wrong ``on_hand`` is a question
    (a bug, a hand-edited row), not something to overwrite."""

    class Kind(models.TextChoices):
        ON_HAND = "on_hand", _("Ledger sum differs from on hand")
        RESERVED_LEDGER = "reserved_ledger", _("Ledger reserved sum differs from reserved")
        RESERVATIONS = "reservations", _("Open reservations differ from reserved")

    stock = models.ForeignKey(
        Stock, verbose_name=_("stock"), on_delete=models.PROTECT, related_name="discrepancies"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    expected = models.IntegerField(_("expected (from the records)"))
    actual = models.IntegerField(_("actual (on the stock row)"))
    detected_at = models.DateTimeField(_("detected at"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        verbose_name = _("stock discrepancy")
        verbose_name_plural = _("stock discrepancies")
        ordering = ["-detected_at", "-pk"]
        constraints = [
            # One open finding per stock row and kind: a daily job updates it, not repeats it.
            models.UniqueConstraint(
                fields=["stock", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="stock_discrepancy_one_open",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | ~Q(resolution=""),
                name="stock_discrepancy_resolution_explained",
            ),
        ]

    def __str__(self):
        return f"{self.stock}: {self.get_kind_display()} ({self.expected} ≠ {self.actual})"

    @property
    def difference(self) -> int:
        return self.actual - self.expected


class Holiday(models.Model):
    """A declared day off (Spring Festival, National Day, ...): it does not count towards
    a parcel's ship-by deadline."""

    day = models.DateField(_("day"), unique=True)
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["day"]

    def __str__(self):
        return f"{self.day} {self.name}"


class LowStockAlert(models.Model):
    """A SKU's available units fell to its reorder point or below: operators are told
    once, when the alert opens. It closes when stock is back above the point, so the
    next fall is a new alert (one open alert per SKU: a partial unique index)."""

    sku = models.ForeignKey(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="low_stock"
    )
    available = models.IntegerField(_("available when raised"))
    reorder_point = models.IntegerField(_("reorder point"))
    suggested = models.IntegerField(_("suggested purchase"))
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)

    class Meta:
        verbose_name = _("low-stock alert")
        verbose_name_plural = _("low-stock alerts")
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["sku"], condition=Q(cleared_at__isnull=True), name="low_stock_one_open"
            )
        ]

    def __str__(self):
        return f"{self.sku_id}: {self.available} ≤ {self.reorder_point}"
