"""Demo promotions, coupons and gift cards, made through the marketing services as an
operator would: a tiered 满减 over the whole shop, 限时8折 on tea, 第二件半价 on snacks,
a gift from 299, free shipping from 59, a deep clearance waiting for a second operator
and a coming 年货节; public coupons to claim, one granted to a shopper, a compensation
coupon for the ticket view, codes for a live stream; gift cards. Idempotent: made once."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from catalog.models import SKU, Category, Product, Stock
from customers.models import User
from marketing.models import CouponTemplate, Promotion
from marketing.services import coupons, giftcards, promotions
from marketing.services.pricing import catalogue

Kind = Promotion.Kind
Channel = CouponTemplate.Channel
DAY = datetime.timedelta(days=1)


def _promotion(actor, kind, name, *, tiers=(), days=(-1, 30), submit=True, **fields):
    now = timezone.now()
    data = {
        "name": name,
        "kind": kind,
        "starts_at": now + days[0] * DAY,
        "ends_at": now + days[1] * DAY,
        "basis": fields.pop("basis", Promotion.Basis.AMOUNT),
        **fields,
    }
    made = promotions.save_promotion(data=data, tiers=list(tiers), actor=actor)
    if submit:
        promotions.submit_promotion(promotion=made, actor=actor)
    return made


def _tiers(*pairs):
    return [{"threshold": Decimal(t), "amount_off": Decimal(a)} for t, a in pairs]


def _gift_sku():
    """A cheap snack with plenty of stock: the gift."""
    stocked = Stock.objects.sellable().filter(on_hand__gte=50).values("sku_id")
    return (
        SKU.objects.filter(
            pk__in=stocked,
            is_active=True,
            product__status=Product.Status.LISTED,
            product__category__slug__in=["snacks", *_children("snacks")],
        )
        .annotate(lowest=Min("prices__amount"))
        .order_by("lowest", "code")
        .first()
    )


def _children(slug):
    return list(Category.objects.filter(parent__slug=slug).values_list("slug", flat=True))


def _template(actor, name, **fields):
    data = {
        "name": name,
        "kind": fields.pop("kind", CouponTemplate.Kind.AMOUNT_OFF),
        "amount": fields.pop("amount", None),
        "threshold": Decimal(fields.pop("threshold", "0")),
        "valid_days": fields.pop("valid_days", 14),
        "valid_until": None,
        "per_shopper_limit": fields.pop("per_shopper_limit", 1),
        "total_quantity": fields.pop("total_quantity", None),
        "channel": fields.pop("channel", Channel.PUBLIC),
        **fields,
    }
    return coupons.save_template(data=data, actor=actor)


def seed() -> None:
    """Make the demo promotions, coupons and gift cards once."""
    if Promotion.objects.exists():
        return
    operator = User.objects.filter(email="operator@mall.example").first()
    shoppers = {
        phone: User.objects.filter(phone=phone).first() for phone in ("13800000001", "13800000002")
    }
    tea = Category.objects.filter(slug="tea").first()
    snacks = Category.objects.filter(slug="snacks").first()
    if operator is None or tea is None or snacks is None or not all(shoppers.values()):
        return
    with transaction.atomic():
        _promotion(
            operator, Kind.THRESHOLD_OFF, "双12满减", tiers=_tiers(("199", "20"), ("399", "50"))
        )
        _promotion(
            operator,
            Kind.TIMED_DISCOUNT,
            "茶叶节限时8折",
            days=(-1, 7),
            percent_off=Decimal("20"),
            categories=[tea],
        )
        _promotion(
            operator,
            Kind.NTH_ITEM,
            "零食第二件半价",
            days=(-1, 14),
            nth=2,
            percent_off=Decimal("50"),
            categories=[snacks],
        )
        gift = _gift_sku()
        if gift is not None:
            _promotion(
                operator,
                Kind.GIFT,
                "满299赠好礼",
                tiers=[{"threshold": Decimal("299"), "gift_sku": gift, "gift_quantity": 1}],
            )
        _promotion(operator, Kind.FREE_SHIPPING, "满59包邮", tiers=[{"threshold": Decimal("59")}])
        # Deeper than the approval depth: waits for a second operator (the admin can).
        _promotion(
            operator,
            Kind.TIMED_DISCOUNT,
            "零食清仓6折",
            days=(1, 5),
            percent_off=Decimal("60"),
            categories=[snacks],
        )
        _promotion(
            operator,
            Kind.THRESHOLD_OFF,
            "年货节满300减40",
            days=(5, 20),
            tiers=_tiers(("300", "40")),
        )

        _template(operator, "满100减10", amount=Decimal("10"), threshold="100", total_quantity=500)
        _template(
            operator,
            "满300减30",
            amount=Decimal("30"),
            threshold="300",
            per_shopper_limit=2,
            total_quantity=200,
        )
        _template(
            operator,
            "全场9折券",
            kind=CouponTemplate.Kind.PERCENT_OFF,
            percent_off=Decimal("10"),
            max_discount=Decimal("30"),
            stackable=False,
        )
        loyal = _template(
            operator,
            "老客专享券",
            amount=Decimal("25"),
            threshold="200",
            channel=Channel.GRANT,
            return_on_refund=True,
        )
        coupons.grant_coupons(
            template=loyal, users=[shoppers["13800000001"]], actor=operator, reason="演示：老客回馈"
        )
        _template(
            operator,
            "客服补偿券",
            amount=Decimal("15"),
            channel=Channel.COMPENSATION,
            valid_days=30,
        )
        live = _template(
            operator,
            "直播专享券",
            amount=Decimal("15"),
            threshold="150",
            channel=Channel.CODE,
            total_quantity=1000,
        )
        coupons.generate_codes(template=live, quantity=20, actor=operator, reason="演示：直播间")

        giftcards.issue_gift_cards(
            face_value="200",
            actor=operator,
            reason="演示：会员礼品卡",
            owner=shoppers["13800000002"],
        )
        giftcards.issue_gift_cards(
            face_value="100", actor=operator, reason="演示：年会福利", quantity=5
        )
    catalogue.forget()
