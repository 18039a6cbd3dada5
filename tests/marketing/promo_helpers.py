"""Helpers for the promotion, coupon and gift-card tests: rules made through the
services (as an operator would), orders placed and returned through the real ones."""

import datetime
import uuid
from decimal import Decimal

from django.utils import timezone

from marketing.models import CouponTemplate, Promotion
from marketing.services import coupons, giftcards, promotions
from marketing.services.pricing import catalogue
from orders.models import AfterSalesCase
from orders.services import ordering
from tests.customers.factories import AddressFactory, UserFactory
from tests.orders import paying
from tests.orders.aftersales_helpers import approved, ask, inspected, sent_back

HOUR = datetime.timedelta(hours=1)


def operator(**fields):
    return UserFactory(roles=["operator"], **fields)


def promotion(kind, *tiers, actor=None, submit=True, starts=None, ends=None, **fields):
    """A promotion saved and submitted through the services: running now by default.
    ``tiers`` are ``(threshold, amount_off)`` pairs or dicts."""
    actor = actor or operator()
    now = timezone.now()
    data = {
        "name": fields.pop("name", f"促销 {kind}"),
        "kind": kind,
        "starts_at": starts or now - HOUR,
        "ends_at": ends or now + 24 * HOUR,
        "basis": fields.pop("basis", Promotion.Basis.AMOUNT),
        **fields,
    }
    rows = [
        tier
        if isinstance(tier, dict)
        else {"threshold": Decimal(tier[0]), "amount_off": Decimal(tier[1])}
        for tier in tiers
    ]
    made = promotions.save_promotion(data=data, tiers=rows, actor=actor)
    if submit:
        promotions.submit_promotion(promotion=made, actor=actor)
        made.refresh_from_db()
    catalogue.forget()
    return made


def manjian(*tiers, **fields):
    """满减 with ``tiers`` like ("199", "20"), ("399", "50")."""
    return promotion(Promotion.Kind.THRESHOLD_OFF, *tiers, **fields)


def template(*, actor=None, **fields) -> CouponTemplate:
    data = {
        "name": fields.pop("name", "店铺券"),
        "kind": fields.pop("kind", CouponTemplate.Kind.AMOUNT_OFF),
        "amount": Decimal(fields.pop("amount", "10.00")),
        "threshold": Decimal(fields.pop("threshold", "0")),
        "valid_days": fields.pop("valid_days", 7),
        "valid_until": fields.pop("valid_until", None),
        "per_shopper_limit": fields.pop("per_shopper_limit", 1),
        "total_quantity": fields.pop("total_quantity", None),
        "channel": fields.pop("channel", CouponTemplate.Channel.PUBLIC),
        **fields,
    }
    if data["kind"] == CouponTemplate.Kind.PERCENT_OFF:
        data["amount"] = None
    made = coupons.save_template(data=data, actor=actor or operator())
    catalogue.forget()
    return made


def shopper_with_address():
    user = UserFactory()
    return user, AddressFactory(user=user)


def place(user, address, items, *, choices=None, **kwargs):
    return ordering.place_order(
        user=user,
        address=address,
        items=[(sku.pk, quantity) for sku, quantity in items],
        shipping_method="standard",
        idempotency_key=uuid.uuid4().hex,
        choices=choices,
        **kwargs,
    )


def gift_card(owner, value="100.00", *, actor=None):
    actor = actor or operator()
    [card] = giftcards.issue_gift_cards(
        face_value=value, actor=actor, reason="测试发卡", owner=owner
    )
    catalogue.forget()
    return card


def delivered(order):
    """Paid (when anything is due) and delivered an hour ago."""
    from tests.orders.aftersales_helpers import delivered as mark_delivered

    if order.amount_due > 0:
        paying.pay(order)
    order.refresh_from_db()
    return mark_delivered(order)


def refunded(order, units: dict, *, reason=AfterSalesCase.Reason.QUALITY) -> AfterSalesCase:
    """A refund without return for ``units`` ({order line: n}), approved: refunded at
    once (goods at fault, so the shipping share comes back too)."""
    case = ask(order, kind=AfterSalesCase.Kind.REFUND, reason=reason, units=units)
    case = approved(case)
    case.refresh_from_db()
    return case


def returned(order, units: dict) -> AfterSalesCase:
    """A change-of-mind return of ``units``, sent back and received: refunded."""
    case = approved(ask(order, units=units))
    sent_back(case)
    case = inspected(case).case
    case.refresh_from_db()
    return case
