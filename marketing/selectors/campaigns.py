"""What a campaign achieved, for its live page and its review: a fixed number of
aggregate queries whatever the number of its orders, coupons and goods.

A campaign's orders are the orders its offers gave something to (a discount booked on
its budget, ``CampaignSpend``), less those cancelled; its sales are those paid.
"""

from decimal import Decimal

from django.db.models import (
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
)
from django.db.models.functions import Coalesce

from mall.money import ZERO, to_money
from orders.models import SOLD, Order, OrderLine

from ..models import Campaign, CampaignSpend, Coupon
from .uplift import uplift

TOP_ITEMS = 5
MONEY = DecimalField(max_digits=14, decimal_places=2)


def _order_ids(campaign: Campaign):
    return CampaignSpend.objects.filter(campaign=campaign, kind=CampaignSpend.Kind.DISCOUNT).values(
        "order_id"
    )


def _orders(campaign: Campaign):
    return Order.objects.filter(pk__in=Subquery(_order_ids(campaign)))


def live_figures(campaign: Campaign) -> dict:
    """Spend against budget, orders placed and paid, GMV, new customers, coupons claimed
    and used, and the best-selling goods: four queries."""
    earlier_sale = Order.objects.filter(
        user_id=OuterRef("user_id"), status__in=SOLD, placed_at__lt=OuterRef("placed_at")
    )
    orders = (
        _orders(campaign)
        .annotate(returning=Exists(earlier_sale))
        .aggregate(
            placed=Count("pk", filter=~Q(status=Order.Status.CANCELLED)),
            paid=Count("pk", filter=Q(status__in=SOLD)),
            gmv=Coalesce(Sum("total", filter=Q(status__in=SOLD)), Value(ZERO), output_field=MONEY),
            new_customers=Count(
                "user_id", filter=Q(status__in=SOLD, returning=False), distinct=True
            ),
        )
    )
    coupons = Coupon.objects.filter(template__campaign=campaign).aggregate(
        claimed=Count("pk"), used=Count("pk", filter=Q(status=Coupon.Status.USED))
    )
    top = list(
        OrderLine.objects.filter(order__in=Subquery(_order_ids(campaign)), order__status__in=SOLD)
        .values("product_name")
        .annotate(
            units=Sum("quantity"),
            sales=Sum(ExpressionWrapper(F("line_total") - F("discount_total"), output_field=MONEY)),
        )
        .order_by("-units", "product_name")[:TOP_ITEMS]
    )
    share = (campaign.spent / campaign.budget * 100) if campaign.budget else Decimal(0)
    return {
        "status": campaign.status,
        "status_label": str(campaign.get_status_display()),
        "budget": str(campaign.budget),
        "spent": str(campaign.spent),
        "spent_share": str(to_money(share)),
        "orders_placed": orders["placed"],
        "orders_paid": orders["paid"],
        "gmv": str(to_money(orders["gmv"])),
        "new_customers": orders["new_customers"],
        "coupons_claimed": coupons["claimed"],
        "coupons_used": coupons["used"],
        "top_items": [
            {"name": row["product_name"], "units": row["units"], "sales": str(row["sales"])}
            for row in top
        ],
    }


def gross_margin(campaign: Campaign) -> Decimal:
    """What the campaign's paid orders earned over the goods' cost: what the shopper paid
    for each line less its units at the SKU's moving-average cost (a SKU without a known
    cost counts at none). One query."""
    margin = OrderLine.objects.filter(
        order__in=Subquery(_order_ids(campaign)), order__status__in=SOLD
    ).aggregate(
        margin=Sum(
            ExpressionWrapper(
                F("line_total")
                - F("discount_total")
                - F("quantity") * Coalesce(F("sku__cost__average"), Value(ZERO)),
                output_field=MONEY,
            )
        )
    )["margin"]
    return to_money(margin or ZERO)


def review_figures(campaign: Campaign) -> dict:
    """Goals against results and ROI = (attributed gross margin - cost) / cost, the cost
    being what the campaign spent (discounts given and channel costs), and the uplift
    against the same weekdays of the weeks before it (one more query)."""
    live = live_figures(campaign)
    margin = gross_margin(campaign)
    cost = campaign.spent
    roi = ((margin - cost) / cost).quantize(Decimal("0.01")) if cost else None
    goals = [
        ("gmv", campaign.goal_gmv, Decimal(live["gmv"])),
        ("orders", campaign.goal_orders, live["orders_paid"]),
        ("new_customers", campaign.goal_new_customers, live["new_customers"]),
    ]
    return {
        **live,
        "gross_margin": margin,
        "cost": cost,
        "roi": roi,
        "uplift": uplift(campaign),
        "goals": [
            {
                "name": name,
                "goal": goal,
                "result": result,
                "reached": (result >= goal) if goal else None,
                "share": to_money(Decimal(result) / Decimal(goal) * 100) if goal else None,
            }
            for name, goal, result in goals
        ],
    }
