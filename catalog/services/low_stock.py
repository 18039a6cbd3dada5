"""Low-stock alerts: operators hear once when a SKU's available units fall to its reorder
point (``selectors.stock.replenishment_list``), not on every sale after that.

``raise_low_stock_alerts`` (beat, every five minutes) reads the replenishment list in one
query: a SKU that is low and has a purchase to suggest, without an open alert, gets one
(``LowStockAlert``, at most one open per SKU by a partial unique index) and the operators
one email listing every new alert of the run; an open alert whose SKU is back above its
point is cleared, so the next fall is news again. The suggestion itself is the
replenishment list's row, from which a purchase order is drafted.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import LowStockAlert
from ..selectors.stock import replenishment_list
from .admission.suppliers import notify_operators


def raise_low_stock_alerts(*, now=None) -> dict[str, int]:
    """Open alerts for SKUs newly low, clear those no longer low; returns
    ``{"raised", "cleared"}``. Safe to run twice or at once: the unique index decides."""
    now = now or timezone.now()
    rows = {row.pk: row for row in replenishment_list(now=now)}
    open_alerts = {alert.sku_id: alert for alert in LowStockAlert.objects.filter(cleared_at=None)}
    recovered = [
        alert.pk
        for sku_id, alert in open_alerts.items()
        if sku_id not in rows or not rows[sku_id].low
    ]
    cleared = LowStockAlert.objects.filter(pk__in=recovered, cleared_at=None).update(cleared_at=now)
    raised = []
    for sku_id, row in rows.items():
        if not row.low or row.suggested <= 0 or sku_id in open_alerts:
            continue
        try:
            with transaction.atomic():
                LowStockAlert.objects.create(
                    sku_id=sku_id,
                    available=row.available,
                    reorder_point=row.reorder_point,
                    suggested=row.suggested,
                    raised_at=now,
                )
        except IntegrityError:
            continue  # another run raised it
        raised.append(row)
    if raised:
        notify_operators(
            _("Low stock: %(count)s SKU(s) to reorder") % {"count": len(raised)},
            "\n".join(
                _(
                    "%(code)s %(product)s: %(available)s available, reorder point "
                    "%(point)s, suggested purchase %(suggested)s (%(supplier)s)"
                )
                % {
                    "code": row.code,
                    "product": row.product.name,
                    "available": row.available,
                    "point": row.reorder_point,
                    "suggested": row.suggested,
                    "supplier": row.product.supplier,
                }
                for row in raised
            ),
        )
    return {"raised": len(raised), "cleared": cleared}
