from django.db import migrations


def sync_roles(apps, schema_editor):
    from mall.roles import sync_role_groups

    sync_role_groups(apps, strict=False)


class Migration(migrations.Migration):
    """Operators, warehouse staff and analysts may look at orders."""

    dependencies = [
        ("customers", "0004_inventory_roles"),
        ("orders", "0001_orders"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
