"""Demo product reviews: the three demo shoppers review a dozen demo goods they bought
and received.

A review belongs to a real delivered order line, so this seed first buys the goods the
way a shopper would, through the real services (placed, paid with the sandbox provider,
shipped and tracked to the door by the sandbox carrier, as orders/demo.py does), between
10 and 100 days ago so that the feedback report has months to compare; then each shopper
reviews the lines that arrived, through ``orders.services.line_reviews``. A parcel the
sandbox delays or loses is simply not reviewed. One review is an advertisement that an
operator has hidden; the poor ones have the shop's reply.

It lives in the orders app, not the catalog, because it needs orders (the catalog never
imports orders). Idempotent: fixed order keys, one review per line.
"""

import datetime
import io
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageDraw

from catalog.exceptions import CatalogError
from catalog.models import SKU, Product, ProductReview, Stock
from catalog.services import product_reviews as reviews
from customers.models import User
from ops.demo.accounts import SHOPPERS
from ops.demo.orders import _deliver, _pay, _place
from orders.exceptions import OrderError
from orders.models import Order
from orders.services import line_reviews as product_reviews

logger = logging.getLogger("ops.demo")

GOODS = 12
SKIP = 6  # the first demo goods belong to orders/demo.py's orders and flash sales

TEXTS = {
    5: [
        "质量很好，和描述的一样，包装也很仔细，会回购。",
        "物流很快，第二天就到了，东西很满意。",
        "送给家人的，大家都说好，五星好评。",
    ],
    4: [
        "整体不错，性价比高，就是包装简单了点。",
        "用了一段时间再来评价，品质稳定，推荐。",
    ],
    3: ["一般般，和预期有点差距，凑合用。"],
    2: ["收到时外包装有破损，商品本身还好，希望改进包装。"],
    1: ["和描述不符，质量较差，已经申请售后了。"],
}
SPAM = "加微信 mall8888 低价出同款，比店里便宜一半！"
REPLIES = {
    2: "非常抱歉包装让您失望了，我们已要求仓库加固包装，感谢您的反馈。",
    1: "非常抱歉给您带来不好的体验，售后专员会尽快与您联系处理。",
}

# (shopper, order key, delivered days ago, [(goods slot, stars, with a photo)])
PLAN = [
    (0, "demo-reviews-1", 100, [(0, 5, True), (1, 4, False), (2, 5, False), (3, 2, True)]),
    (0, "demo-reviews-2", 40, [(4, 5, False), (5, 3, False), (6, 4, False), (7, 1, True)]),
    (1, "demo-reviews-3", 70, [(0, 4, False), (1, 5, False), (4, 5, True), (8, 2, False)]),
    (1, "demo-reviews-4", 20, [(9, 5, False), (10, 4, False), (11, 5, False)]),
    (2, "demo-reviews-5", 10, [(0, 5, False), (2, 4, False), (8, 1, False), (11, 5, None)]),
]
# ``None`` marks the advertisement an operator hid.


def _demo_goods() -> list[SKU]:
    """One SKU each of a dozen listed demo products with plenty of stock, by code."""
    stocked = Stock.objects.sellable().filter(on_hand__gte=30).values("sku_id")
    skus = SKU.objects.filter(
        pk__in=stocked, is_active=True, product__status=Product.Status.LISTED
    ).order_by("code")
    chosen, products = [], set()
    for sku in skus[: (GOODS + SKIP) * 4]:
        if sku.product_id not in products:
            products.add(sku.product_id)
            chosen.append(sku)
    return chosen[SKIP : SKIP + GOODS]


def _photo(seed: int) -> ContentFile:
    """A made-up snapshot: a parcel on a table, in a colour of its own."""
    colours = ["#c8a165", "#6b8e23", "#8b4513", "#4682b4"]
    image = Image.new("RGB", (800, 600), "#f2efe9")
    draw = ImageDraw.Draw(image)
    draw.rectangle((180, 160, 620, 480), fill=colours[seed % len(colours)], outline="#333")
    draw.line((180, 160, 620, 480), fill="#333", width=3)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return ContentFile(buffer.getvalue(), name=f"review-{seed}.jpg")


def _text(stars: int, n: int) -> str:
    texts = TEXTS[stars]
    return texts[n % len(texts)]


def _review_order(order: Order, items, goods, operator, plan_index: int) -> None:
    lines = {line.sku_id: line for line in order.lines.select_related("order", "sku")}
    for n, (slot, stars, photo) in enumerate(items):
        line = lines.get(goods[slot].pk)
        if line is None or ProductReview.objects.filter(order_line_id=line.pk).exists():
            continue
        spam = photo is None
        try:
            made = product_reviews.review_line(
                line=line,
                actor=order.user,
                rating=stars,
                text=SPAM if spam else _text(stars, plan_index + n),
                photos=[_photo(plan_index * 10 + n)] if photo else [],
            )
        except (product_reviews.ReviewNotYet, CatalogError):
            continue  # the parcel has not arrived (the sandbox delayed or lost it)
        if spam:
            reviews.hide_review(review=made, actor=operator, reason="含有联系方式和广告")
        elif stars in REPLIES:
            reviews.reply_to_review(review=made, actor=operator, text=REPLIES[stars])
        # Demo history only: written a day or two after the parcel arrived.
        written = (order.delivered_at or made.created_at) + datetime.timedelta(days=1 + n % 2)
        ProductReview.objects.filter(pk=made.pk).update(created_at=written)


def seed() -> None:
    """Buy, receive and review the demo goods once (later runs add only reviews of
    parcels that have arrived since)."""
    if "sandbox" not in settings.MALL_PAYMENT_PROVIDERS or "sandbox" not in getattr(
        settings, "MALL_CARRIERS", []
    ):
        return
    goods = _demo_goods()
    users = [User.objects.filter(phone=phone).first() for phone, *_ in SHOPPERS]
    operator = User.objects.filter(email="operator@mall.example").first()
    if len(goods) < GOODS or not all(users) or not all(u.addresses.exists() for u in users):
        return
    for plan_index, (shopper, key, days_ago, items) in enumerate(PLAN):
        user = users[shopper]
        try:
            with transaction.atomic():
                order = _place(user, key, [(goods[slot], 1) for slot, _stars, _photo in items])
                if order is not None:
                    _pay(order)
                    _deliver(order, days_ago=days_ago)
                order = Order.objects.filter(user=user, idempotency_key=key).first()
                if order is not None:
                    order.refresh_from_db()
                    _review_order(order, items, goods, operator, plan_index)
        except (OrderError, CatalogError) as error:
            # Demo goods sold out on a long-lived database: the demo reviews are a nicety.
            logger.info("demo reviews: %s skipped: %s", key, error)
