import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    """The sandbox payment provider's own books (trades and refunds), a notification
    outcome for a second payment of a paid order, and a refund's submission attempts."""

    dependencies = [
        ("orders", "0004_order_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="refund",
            name="attempts",
            field=models.PositiveIntegerField(default=0, verbose_name="attempts"),
        ),
        migrations.AddField(
            model_name="refund",
            name="last_error",
            field=models.CharField(blank=True, max_length=200, verbose_name="last error"),
        ),
        migrations.AlterField(
            model_name="paymentnotification",
            name="outcome",
            field=models.CharField(
                choices=[
                    ("accepted", "Accepted"),
                    ("duplicate", "Duplicate (nothing changed)"),
                    ("bad_signature", "Rejected: bad signature"),
                    ("wrong_amount", "Rejected: wrong amount"),
                    ("unknown", "Rejected: unknown payment"),
                    ("late", "Paid after cancellation: refunded"),
                    ("double", "Order paid already: refunded"),
                    ("failed", "Payment failed"),
                ],
                max_length=20,
                verbose_name="outcome",
            ),
        ),
        migrations.CreateModel(
            name="SandboxTrade",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("trade_no", models.CharField(max_length=32, unique=True, verbose_name="sandbox trade number")),
                ("out_trade_no", models.CharField(max_length=32, unique=True, verbose_name="merchant's payment number")),
                ("subject", models.CharField(max_length=200, verbose_name="subject")),
                ("amount", models.DecimalField(decimal_places=2, max_digits=12, verbose_name="amount")),
                ("refunded_amount", models.DecimalField(decimal_places=2, default=0, max_digits=12, verbose_name="refunded")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("waiting", "Waiting for the payer"),
                            ("paid", "Paid"),
                            ("failed", "Failed"),
                            ("closed", "Closed"),
                        ],
                        default="waiting",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                ("notify_url", models.URLField(max_length=500, verbose_name="notification URL")),
                ("return_url", models.URLField(max_length=500, verbose_name="return URL")),
                ("expires_at", models.DateTimeField(blank=True, null=True, verbose_name="expires at")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="created at")),
                ("settled_at", models.DateTimeField(blank=True, null=True, verbose_name="paid or failed at")),
                ("closed_at", models.DateTimeField(blank=True, null=True, verbose_name="closed at")),
                ("notified_at", models.DateTimeField(blank=True, null=True, verbose_name="merchant acknowledged at")),
                ("notify_attempts", models.PositiveIntegerField(default=0, verbose_name="notification attempts")),
                ("last_notify_result", models.CharField(blank=True, max_length=200, verbose_name="last delivery result")),
            ],
            options={
                "verbose_name": "sandbox trade",
                "verbose_name_plural": "sandbox trades",
                "ordering": ["-created_at", "-pk"],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("amount__gt", 0)), name="sandbox_trade_amount"),
                    models.CheckConstraint(
                        condition=models.Q(("refunded_amount__gte", 0), ("refunded_amount__lte", models.F("amount"))),
                        name="sandbox_refunds_within_amount",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("refunded_amount", 0), ("status", "paid"), _connector="OR"),
                        name="sandbox_refunds_only_when_paid",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="SandboxRefund",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("out_request_no", models.CharField(max_length=64, unique=True, verbose_name="merchant's refund number")),
                ("refund_no", models.CharField(max_length=32, unique=True, verbose_name="sandbox refund number")),
                ("amount", models.DecimalField(decimal_places=2, max_digits=12, verbose_name="amount")),
                ("reason", models.CharField(blank=True, max_length=200, verbose_name="reason")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="created at")),
                (
                    "trade",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="refunds",
                        to="orders.sandboxtrade",
                    ),
                ),
            ],
            options={
                "verbose_name": "sandbox refund",
                "verbose_name_plural": "sandbox refunds",
                "ordering": ["-created_at", "-pk"],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("amount__gt", 0)), name="sandbox_refund_amount"),
                ],
            },
        ),
    ]
