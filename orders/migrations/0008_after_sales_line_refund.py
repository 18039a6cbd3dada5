from django.db import migrations, models


class Migration(migrations.Migration):
    """The goods' part of an after-sales refund per line, so that the after-sales report
    sums refunds by product and supplier exactly (the case's shipping part is not split)."""

    dependencies = [
        ("orders", "0007_fulfilment_logistics_after_sales"),
    ]

    operations = [
        migrations.AddField(
            model_name="aftersalesline",
            name="refund_amount",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=12,
                null=True,
                verbose_name="refunded for the goods",
            ),
        ),
        migrations.AddConstraint(
            model_name="aftersalesline",
            constraint=models.CheckConstraint(
                condition=models.Q(("refund_amount__isnull", True), ("refund_amount__gte", 0), _connector="OR"),
                name="after_sales_line_refund_not_negative",
            ),
        ),
    ]
