from django.db import migrations


def sync_roles(apps, schema_editor):
    from mall.roles import sync_role_groups

    sync_role_groups(apps, strict=False)


class Migration(migrations.Migration):
    """Pricing and inventory permissions: price changes and approvals, stock adjustments
    and transfers, stocktakes, purchase receipts, discrepancies and stock reports."""

    dependencies = [
        ("customers", "0003_catalog_roles"),
        ("catalog", "0004_pricing_and_inventory"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
