from django.db import migrations


def sync_roles(apps, schema_editor):
    from mall.roles import sync_role_groups

    sync_role_groups(apps, strict=False)


class Migration(migrations.Migration):
    """Warehouse staff pack, ship and inspect returns; operators resolve logistics
    exceptions; support staff decide after-sales cases in the ticket view."""

    dependencies = [
        ("customers", "0009_notifications"),
        ("orders", "0007_fulfilment_logistics_after_sales"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
