"""The channel report: per advertising channel and placement over a period, the clicks
on its tracked links, the sessions it brought, the orders credited to it, conversion,
cost per order, cost per new customer and ROI, beside the previous period of the same
length.

An order is credited to the last non-direct click: the UTM source and campaign of the
session that placed it, or, when that session came direct, of the same visitor's latest
session with a UTM source within ``MALL_CAMPAIGN_ATTRIBUTION_DAYS`` (default 7) before
the order. A placement's links carry ``utm_source`` = its channel's source and
``utm_campaign`` = its short code (``marketing.services.campaigns.channels``).

Queries: four per period (placements, sessions, credited orders with their margin, and
the previous period's orders), whatever the number of channels, placements and orders.

A placement's cost is the channel spend recorded for it on the period's days (by hand or
imported, ``ChannelSpend``) once any spend is recorded for it, otherwise its planned
amount.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from mall.money import ZERO, to_money
from marketing.models import ChannelSpend, Placement
from orders.models import SOLD, Order, OrderLine

from ..models import Event

MONEY = DecimalField(max_digits=14, decimal_places=2)
MAX_DAYS = 731


@dataclass
class Row:
    channel: str  # the channel's name (or the bare UTM source of links not ours)
    source: str
    placement: str = ""  # the placement's name; "" on a channel's total row
    code: str = ""
    campaign: str = ""
    clicks: int = 0
    impressions: int | None = None
    sessions: int = 0
    orders: int = 0
    new_customers: int = 0
    gmv: Decimal = ZERO
    margin: Decimal = ZERO
    cost: Decimal = ZERO
    previous_orders: int = 0
    placements: list = field(default_factory=list)

    @property
    def conversion(self) -> Decimal | None:
        return to_money(Decimal(self.orders) / self.sessions * 100) if self.sessions else None

    @property
    def click_through(self) -> Decimal | None:
        if not self.impressions:
            return None
        return to_money(Decimal(self.clicks) / self.impressions * 100)

    @property
    def cost_per_order(self) -> Decimal | None:
        return to_money(self.cost / self.orders) if self.orders and self.cost else None

    @property
    def cost_per_new_customer(self) -> Decimal | None:
        return (
            to_money(self.cost / self.new_customers) if self.new_customers and self.cost else None
        )

    @property
    def roi(self) -> Decimal | None:
        """(attributed gross margin - cost) / cost."""
        return (
            ((self.margin - self.cost) / self.cost).quantize(Decimal("0.01")) if self.cost else None
        )


def window() -> datetime.timedelta:
    return datetime.timedelta(days=settings.MALL_CAMPAIGN_ATTRIBUTION_DAYS)


def credited_orders(start, end):
    """Paid orders placed in [start, end) with the UTM source and campaign they are
    credited to (``credited_source`` empty: direct), their margin over the goods' cost
    and whether they were the shopper's first sale. One query when evaluated."""
    last_click = Event.objects.filter(
        visitor_id=OuterRef("attribution__visitor_id"),
        occurred_at__lte=OuterRef("placed_at"),
        occurred_at__gte=OuterRef("placed_at") - window(),
    ).exclude(utm_source="")
    own = ~Q(attribution__utm_source="") & Q(attribution__utm_source__isnull=False)
    margin = (
        OrderLine.objects.filter(order=OuterRef("pk"))
        .values("order")
        .annotate(
            m=Sum(
                ExpressionWrapper(
                    F("line_total")
                    - F("discount_total")
                    - F("quantity") * Coalesce(F("sku__cost__average"), Value(ZERO)),
                    output_field=MONEY,
                )
            )
        )
        .values("m")
    )
    earlier = Order.objects.filter(
        user_id=OuterRef("user_id"), status__in=SOLD, placed_at__lt=OuterRef("placed_at")
    )
    return Order.objects.filter(placed_at__gte=start, placed_at__lt=end, status__in=SOLD).annotate(
        credited_source=Case(
            When(own, then=F("attribution__utm_source")),
            default=Coalesce(
                Subquery(last_click.order_by("-occurred_at").values("utm_source")[:1]),
                Value(""),
            ),
            output_field=CharField(),
        ),
        credited_campaign=Case(
            When(own, then=F("attribution__utm_campaign")),
            default=Coalesce(
                Subquery(last_click.order_by("-occurred_at").values("utm_campaign")[:1]),
                Value(""),
            ),
            output_field=CharField(),
        ),
        margin=Coalesce(Subquery(margin), Value(ZERO), output_field=MONEY),
        returning=Exists(earlier),
    )


def _orders_by_link(start, end) -> dict[tuple[str, str], dict]:
    rows = (
        credited_orders(start, end)
        .exclude(credited_source="")
        .values("credited_source", "credited_campaign")
        .annotate(
            orders=Count("pk"),
            new_customers=Count("pk", filter=Q(returning=False)),
            gmv=Sum("total"),
            margin_total=Sum("margin"),
        )
    )
    return {(row["credited_source"], row["credited_campaign"]): row for row in rows}


def channel_report(*, start: datetime.date, end: datetime.date) -> list[Row]:
    """Channels (total rows) each followed by its placements, for the days start..end
    (inclusive, shop time)."""
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    until = datetime.datetime.combine(end, datetime.time.min, tzinfo=tz) + datetime.timedelta(
        days=1
    )
    length = until - since
    spends = ChannelSpend.objects.filter(placement=OuterRef("pk"))
    recorded = (
        spends.filter(spent_on__gte=start, spent_on__lte=end)
        .order_by()
        .values("placement")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    placements = list(
        Placement.objects.filter(starts_at__lt=until, ends_at__gt=since)
        .annotate(
            has_spend=Exists(spends),
            recorded=Coalesce(Subquery(recorded, output_field=MONEY), Value(ZERO)),
        )
        .select_related("channel", "campaign")
        .order_by("channel__name", "starts_at", "pk")
    )
    sessions = {
        (row["utm_source"], row["utm_campaign"]): row["n"]
        for row in Event.objects.filter(occurred_at__gte=since, occurred_at__lt=until)
        .exclude(utm_source="")
        .values("utm_source", "utm_campaign")
        .annotate(n=Count("session_id", distinct=True))
    }
    orders = _orders_by_link(since, until)
    previous = _orders_by_link(since - length, since)
    channels: dict[str, Row] = {}
    placed_keys = set()
    for placement in placements:
        source = placement.channel.source
        total = channels.setdefault(source, Row(channel=placement.channel.name, source=source))
        key = (source, placement.code)
        placed_keys.add(key)
        found = orders.get(key, {})
        row = Row(
            channel=placement.channel.name,
            source=source,
            placement=placement.name,
            code=placement.code,
            campaign=placement.campaign.name if placement.campaign else "",
            clicks=placement.clicks,
            impressions=placement.impressions,
            sessions=sessions.get(key, 0),
            orders=found.get("orders", 0),
            new_customers=found.get("new_customers", 0),
            gmv=to_money(found.get("gmv") or ZERO),
            margin=to_money(found.get("margin_total") or ZERO),
            cost=to_money(placement.recorded) if placement.has_spend else placement.amount,
            previous_orders=previous.get(key, {}).get("orders", 0),
        )
        total.placements.append(row)
        total.clicks += row.clicks
        if row.impressions:
            total.impressions = (total.impressions or 0) + row.impressions
        total.cost += row.cost
    # Every order and session of a source counts on its channel's row, a link of no
    # placement (an old code, a hand-made link) included.
    for grouped, target in ((orders, "now"), (previous, "before")):
        for (source, _code), found in grouped.items():
            if source not in channels:
                channels[source] = Row(channel=source, source=source)
            total = channels[source]
            if target == "before":
                total.previous_orders += found["orders"]
                continue
            total.orders += found["orders"]
            total.new_customers += found["new_customers"]
            total.gmv += to_money(found["gmv"] or ZERO)
            total.margin += to_money(found["margin_total"] or ZERO)
    for (source, _code), count in sessions.items():
        if source in channels:
            channels[source].sessions += count
    return sorted(channels.values(), key=lambda row: (-row.orders, row.channel))
