"""The orders' queues on the back-office home (``admin.site.register_queue``), one COUNT
query each: risky orders to release, parcels past their ship-by time."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import Order, Shipment
from orders.services import risk_review


def risk_reviews(request) -> int:
    return Order.objects.filter(risk_review.AWAITING_REVIEW).count()


def overdue_dispatches(request) -> int:
    in_warehouse = [Shipment.Status.PICKING, Shipment.Status.PACKED]
    return Shipment.objects.filter(status__in=in_warehouse, ship_by__lt=timezone.now()).count()


admin.site.register_queue(
    label=_("Orders awaiting risk review"),
    count=risk_reviews,
    url="admin:orders_order_changelist?review=waiting",
    permission="orders.review_order",
)
admin.site.register_queue(
    label=_("Parcels past their ship-by time"),
    count=overdue_dispatches,
    url="admin:orders_shipment_changelist?dispatch=overdue",
    permission="orders.view_shipment",
)
