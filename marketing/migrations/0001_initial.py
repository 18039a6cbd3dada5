"""Flash sales, moved here from the orders app with their tables (``db_table`` keeps the
old names): the state is created here without touching the database, and the content
types (with their permissions and the groups holding them) follow the models. On a new
database the orders app's migrations create the tables first."""

import django.contrib.postgres.constraints
import django.db.models.deletion
import django.utils.timezone
import mall.ranges
from django.conf import settings
from django.db import migrations, models


MOVED = ["flashsale", "flashsaleclaim"]


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    # New code that ran before this migration may have made content types of its own for
    # these models; the old ones carry the permissions groups hold, so they win.
    if ContentType.objects.filter(app_label="orders", model__in=MOVED).exists():
        ContentType.objects.filter(app_label="marketing", model__in=MOVED).delete()
    ContentType.objects.filter(app_label="orders", model__in=MOVED).update(app_label="marketing")


def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="marketing", model__in=MOVED).update(app_label="orders")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('orders', '0011_refund_field_labels'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('catalog', '0007_review_moderation_history'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='FlashSale',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('price', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='flash price')),
                        ('quantity', models.PositiveIntegerField(verbose_name='units offered')),
                        ('per_shopper_limit', models.PositiveIntegerField(default=1, verbose_name='limit per shopper')),
                        ('starts_at', models.DateTimeField(verbose_name='starts at')),
                        ('ends_at', models.DateTimeField(verbose_name='ends at')),
                        ('sold', models.PositiveIntegerField(default=0, verbose_name='units claimed')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('sku', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='flash_sales', to='catalog.sku', verbose_name='SKU')),
                    ],
                    options={
                        'verbose_name': 'flash sale',
                        'verbose_name_plural': 'flash sales',
                        'db_table': 'orders_flashsale',
                        'ordering': ['-starts_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='FlashSaleClaim',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('quantity', models.PositiveIntegerField(verbose_name='quantity')),
                        ('released', models.BooleanField(default=False, verbose_name='released')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('flash_sale', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='claims', to='marketing.flashsale')),
                        ('order', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='flash_claim', to='orders.order')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'flash sale claim',
                        'verbose_name_plural': 'flash sale claims',
                        'db_table': 'orders_flashsaleclaim',
                    },
                ),
                migrations.AddConstraint(
                    model_name='flashsale',
                    constraint=models.CheckConstraint(condition=models.Q(('price__gt', 0)), name='flash_sale_price_positive'),
                ),
                migrations.AddConstraint(
                    model_name='flashsale',
                    constraint=models.CheckConstraint(condition=models.Q(('quantity__gt', 0)), name='flash_sale_quantity'),
                ),
                migrations.AddConstraint(
                    model_name='flashsale',
                    constraint=models.CheckConstraint(condition=models.Q(('per_shopper_limit__gt', 0)), name='flash_sale_limit_positive'),
                ),
                migrations.AddConstraint(
                    model_name='flashsale',
                    constraint=models.CheckConstraint(condition=models.Q(('ends_at__gt', models.F('starts_at'))), name='flash_sale_interval'),
                ),
                migrations.AddConstraint(
                    model_name='flashsale',
                    constraint=models.CheckConstraint(condition=models.Q(('sold__lte', models.F('quantity'))), name='flash_sale_never_oversold'),
                ),
                migrations.AddConstraint(
                    model_name='flashsale',
                    constraint=django.contrib.postgres.constraints.ExclusionConstraint(expressions=[('sku', '='), (mall.ranges.TsTzRange('starts_at', 'ends_at'), '&&')], name='flash_sale_no_overlap'),
                ),
                migrations.AddConstraint(
                    model_name='flashsaleclaim',
                    constraint=models.UniqueConstraint(condition=models.Q(('released', False)), fields=('flash_sale', 'user'), name='flash_claim_one_live_per_shopper'),
                ),
                migrations.AddConstraint(
                    model_name='flashsaleclaim',
                    constraint=models.CheckConstraint(condition=models.Q(('quantity__gt', 0)), name='flash_claim_quantity'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
