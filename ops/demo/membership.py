"""Demo membership: every shopper's tier recomputed from the demo orders, and the first
demo shopper with points to spend at checkout (once: an adjustment with the demo's
reason). Idempotent."""

from customers.models import User
from marketing.models import PointsEntry
from marketing.services import loyalty

REASON = "演示积分 demo points"


def seed() -> None:
    operator = User.objects.filter(email="operator@mall.example").first()
    shopper = User.objects.filter(phone="13800000001").first()
    loyalty.recompute_tiers()
    if operator is None or shopper is None:
        return
    if not PointsEntry.objects.filter(user=shopper, reason=REASON).exists():
        loyalty.adjust_points(user=shopper, points=5000, reason=REASON, actor=operator)
