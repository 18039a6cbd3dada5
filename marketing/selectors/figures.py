"""What promotions, coupons and gift cards did, from SQL aggregates: per promotion and
per coupon template the orders, discount given and GMV of the sales they took part in,
and the gift cards' liability. A fixed number of queries whatever the number of rows."""

import datetime
from decimal import Decimal

from django.db.models import (
    CharField,
    Count,
    DecimalField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat, TruncMonth

from orders.models import SOLD, OrderDiscount, OrderLine

from ..models import Coupon, GiftCard, GiftCardEntry

MONEY = DecimalField(max_digits=14, decimal_places=2)


def _sum(queryset, group: str, field: str, output=MONEY):
    rows = queryset.order_by().values(group).annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(rows, output_field=output), Value(0), output_field=output)


def _count(queryset, group: str):
    rows = queryset.order_by().values(group).annotate(total=Count("pk")).values("total")
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def with_promotion_figures(promotions):
    """Promotions annotated with ``sold_orders`` (paid orders that got it), ``discount_given``,
    ``gmv`` (what those orders were paid) and ``gifts_given`` (units): one query."""
    key = Concat(Value("promotion:"), Cast(OuterRef("pk"), CharField()))
    given = OrderDiscount.objects.filter(source=key, order__status__in=SOLD)
    gifts = OrderLine.objects.filter(gift_source=key, order__status__in=SOLD)
    return promotions.annotate(
        sold_orders=_count(given, "source"),
        discount_given=_sum(given, "source", "amount"),
        gmv=_sum(given, "source", "order__total"),
        gifts_given=_sum(gifts, "gift_source", "quantity", IntegerField()),
    )


def with_template_figures(templates):
    """Coupon templates annotated with ``used`` (coupons on paid orders), ``discount_given``
    and ``gmv`` of those orders: one query."""
    used = Coupon.objects.filter(template=OuterRef("pk"), order__status__in=SOLD)
    given = OrderDiscount.objects.filter(
        order__coupon__template=OuterRef("pk"),
        source__startswith="coupon:",
        order__status__in=SOLD,
    )
    return templates.annotate(
        used=_count(used, "template"),
        discount_given=_sum(given, "order__coupon__template", "amount"),
        gmv=_sum(used, "template", "order__total"),
    )


def gift_card_liability(*, as_of: datetime.datetime | None = None) -> dict:
    """What the shop owes on gift cards: per month of issue the value issued, spent and
    given back, and what is outstanding, as of ``as_of`` (now when None), from the ledger
    in one query; and the balance column's total, which must agree (a second query)."""
    entries = GiftCardEntry.objects.all()
    if as_of is not None:
        entries = entries.filter(created_at__lte=as_of)
    rows = list(
        entries.annotate(month=TruncMonth("card__issued_at"))
        .values("month")
        .annotate(
            cards=Count("card", distinct=True),
            issued=Coalesce(
                Sum("amount", filter=Q(kind=GiftCardEntry.Kind.ISSUE)), Value(Decimal(0))
            ),
            spent=Coalesce(
                Sum("amount", filter=Q(kind=GiftCardEntry.Kind.SPEND)), Value(Decimal(0))
            ),
            back=Coalesce(
                Sum(
                    "amount",
                    filter=Q(kind__in=[GiftCardEntry.Kind.RELEASE, GiftCardEntry.Kind.REFUND]),
                ),
                Value(Decimal(0)),
            ),
            outstanding=Sum("amount"),
        )
        .order_by("month")
    )
    total = sum((row["outstanding"] for row in rows), Decimal(0))
    balances = GiftCard.objects.aggregate(total=Sum("balance"), cards=Count("pk"))
    return {
        "rows": rows,
        "outstanding": total,
        "balances": balances["total"] or Decimal(0),
        "cards": balances["cards"],
    }
