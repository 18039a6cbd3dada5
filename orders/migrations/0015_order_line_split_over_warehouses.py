"""An order line may be reserved over several warehouses: ``OrderLine.reservation`` (one)
becomes ``OrderLine.reservations`` through ``OrderLineReservation`` (one row per
warehouse part). Every existing line keeps its reservation as its one part, copied
before the old column is dropped; going back copies it again (a line split meanwhile
keeps its first part only, so going back is refused when there is one)."""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = """
INSERT INTO orders_orderlinereservation (order_line_id, reservation_id)
SELECT id, reservation_id FROM orders_orderline ORDER BY id
"""

BACKWARD = """
DO $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM orders_orderlinereservation
        GROUP BY order_line_id HAVING count(*) > 1
    ) THEN
        RAISE EXCEPTION 'order lines split over warehouses cannot go back to one reservation';
    END IF;
END $$;
UPDATE orders_orderline l SET reservation_id = p.reservation_id
FROM orders_orderlinereservation p WHERE p.order_line_id = l.id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0007_review_moderation_history"),
        ("orders", "0014_discounts_by_line_and_stored_value"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrderLineReservation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "order_line",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="parts",
                        to="orders.orderline",
                    ),
                ),
                (
                    "reservation",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="order_line_part",
                        to="catalog.reservation",
                    ),
                ),
            ],
            options={
                "verbose_name": "order line part",
                "verbose_name_plural": "order line parts",
                "ordering": ["pk"],
            },
        ),
        # Going back, the old column comes back nullable (RemoveField's reverse), is
        # filled from the parts, and is made NOT NULL again by AlterField's reverse.
        migrations.AlterField(
            model_name="orderline",
            name="reservation",
            field=models.OneToOneField(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="order_line",
                to="catalog.reservation",
            ),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RemoveField(model_name="orderline", name="reservation"),
        migrations.AddField(
            model_name="orderline",
            name="reservations",
            field=models.ManyToManyField(
                related_name="order_lines",
                through="orders.OrderLineReservation",
                to="catalog.reservation",
            ),
        ),
    ]
