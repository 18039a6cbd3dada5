"""The four tiers a new shop starts with (operators change thresholds and benefits in
the admin): 普通会员 / 银卡 / 金卡 / 钻石."""

from decimal import Decimal

from django.db import migrations

TIERS = [
    # code, name, name_en, rank, spend, orders, multiplier, % off, free shipping, early, support
    ("member", "普通会员", "Member", 0, "0", 0, "1.00", "0", None, 0, 0),
    ("silver", "银卡", "Silver", 1, "2000", 3, "1.20", "0", "49", 0, 1),
    ("gold", "金卡", "Gold", 2, "8000", 8, "1.50", "2", "0", 10, 2),
    ("diamond", "钻石", "Diamond", 3, "20000", 15, "2.00", "5", "0", 30, 3),
]


def create(apps, schema_editor):
    Tier = apps.get_model("marketing", "Tier")
    for code, name, name_en, rank, spend, orders, mult, off, ship, early, support in TIERS:
        Tier.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "rank": rank,
                "min_spend": Decimal(spend),
                "min_orders": orders,
                "points_multiplier": Decimal(mult),
                "member_discount_percent": Decimal(off),
                "free_shipping_over": Decimal(ship) if ship is not None else None,
                "early_access_minutes": early,
                "support_priority": support,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("marketing", "0006_membership_points")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
