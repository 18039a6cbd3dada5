from django.db import migrations


def sync_roles(apps, schema_editor):
    from mall.roles import sync_role_groups

    sync_role_groups(apps, strict=False)


class Migration(migrations.Migration):
    """Operators look at payments, notifications and refunds, and schedule flash sales."""

    dependencies = [
        ("customers", "0005_order_roles"),
        ("orders", "0002_payments_flash_sales_review"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
