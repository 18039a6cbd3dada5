"""Flash sales moved to the marketing app (they are a promotion). They leave the orders
app's state only: the tables stay and belong to marketing now (its 0001)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('marketing', '0001_initial'),
        ('orders', '0011_refund_field_labels'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='flashsaleclaim',
                    name='flash_sale',
                ),
                migrations.RemoveField(
                    model_name='flashsaleclaim',
                    name='order',
                ),
                migrations.RemoveField(
                    model_name='flashsaleclaim',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='FlashSale',
                ),
                migrations.DeleteModel(
                    name='FlashSaleClaim',
                ),
            ],
            database_operations=[],
        ),
    ]
