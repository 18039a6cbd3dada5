from django.db import migrations


def sync_roles(apps, schema_editor):
    from mall.roles import sync_role_groups

    sync_role_groups(apps, strict=False)


class Migration(migrations.Migration):
    """Operators review risky orders, cancel orders and keep the blocklist."""

    dependencies = [
        ("customers", "0006_payment_roles"),
        ("orders", "0004_order_permissions"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
