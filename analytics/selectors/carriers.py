"""The carrier scorecard, read from shipments and their logistics cases in one query."""

import datetime
from decimal import Decimal

from django.db.models import (
    Avg,
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, NullIf, Round, TruncDate, TruncMonth
from django.utils import timezone

from orders.models import (
    LogisticsCase,
    Shipment,
)

# --- Carrier scorecard (read) ----------------------------------------------------------------


def carrier_scorecard(*, since=None, until=None, carrier: str | None = None):
    """Per carrier and month (of the hand-over, in shop time), newest month first, one
    query: dicts of ``carrier``, ``month`` (midnight of the 1st, shop time), ``shipments``,
    ``delivered``, ``on_time`` (delivered on or before the carrier's promised date),
    ``on_time_rate`` (% of delivered), ``lost``, ``avg_transit`` (hand-over to delivery,
    a timedelta), ``cases`` (exception cases of those shipments), ``exception_rate``
    (cases per 100 shipments), ``late_dispatch`` and ``late_dispatch_rate`` (handed over
    after the ship-by time, per 100 shipments that had one: the warehouse's part in a
    late parcel), ``cost``, ``recovered`` and ``net_cost`` (cost − recovered, the
    exceptions' net cost to the shop). ``since`` and ``until`` are dates; the months
    from ``since``'s to ``until``'s are included."""
    shipments = Shipment.objects.filter(shipped_at__isnull=False)
    tz = timezone.get_current_timezone()
    if since is not None:
        start = datetime.datetime(since.year, since.month, 1, tzinfo=tz)
        shipments = shipments.filter(shipped_at__gte=start)
    if until is not None:
        year, month = (until.year + 1, 1) if until.month == 12 else (until.year, until.month + 1)
        shipments = shipments.filter(shipped_at__lt=datetime.datetime(year, month, 1, tzinfo=tz))
    if carrier:
        shipments = shipments.filter(carrier=carrier)
    money = DecimalField(max_digits=12, decimal_places=2)
    cases = LogisticsCase.objects.filter(shipment=OuterRef("pk")).order_by().values("shipment")

    def per_shipment(aggregate, output, zero):
        value = Subquery(cases.annotate(v=aggregate).values("v"), output_field=output)
        return Coalesce(value, Value(zero), output_field=output)

    def percent(part, whole):
        share = (
            Cast(F(part), DecimalField(max_digits=14, decimal_places=4)) * 100 / NullIf(F(whole), 0)
        )
        return Round(share, 1, output_field=DecimalField(max_digits=6, decimal_places=1))

    delivered = Q(delivered_at__isnull=False)
    return (
        shipments.annotate(
            month=TruncMonth("shipped_at"),
            case_count=per_shipment(Count("pk"), IntegerField(), 0),
            case_cost=per_shipment(Sum("cost"), money, Decimal("0.00")),
            case_recovered=per_shipment(Sum("recovered"), money, Decimal("0.00")),
        )
        .values("carrier", "month")
        .annotate(
            shipments=Count("pk"),
            delivered=Count("pk", filter=delivered),
            on_time=Count(
                "pk", filter=delivered & Q(estimated_delivery__gte=TruncDate("delivered_at"))
            ),
            lost=Count("pk", filter=Q(status=Shipment.Status.LOST)),
            # Handed over after the ship-by time (parcels without one are not counted).
            dispatched=Count("pk", filter=Q(ship_by__isnull=False)),
            late_dispatch=Count("pk", filter=Q(shipped_at__gt=F("ship_by"))),
            avg_transit=Avg(
                ExpressionWrapper(
                    F("delivered_at") - F("shipped_at"), output_field=DurationField()
                ),
                filter=delivered,
            ),
            cases=Sum("case_count"),
            cost=Sum("case_cost"),
            recovered=Sum("case_recovered"),
        )
        .annotate(
            on_time_rate=percent("on_time", "delivered"),
            exception_rate=percent("cases", "shipments"),
            late_dispatch_rate=percent("late_dispatch", "dispatched"),
            net_cost=ExpressionWrapper(F("cost") - F("recovered"), output_field=money),
        )
        .order_by("-month", "carrier")
    )
