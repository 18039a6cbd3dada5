from django.db import migrations


def sync_roles(apps, schema_editor):
    from mall.roles import sync_role_groups

    sync_role_groups(apps, strict=False)


class Migration(migrations.Migration):
    """Operators see who holds units of a flash sale (its claims, read-only)."""

    dependencies = [
        ("customers", "0007_order_review_roles"),
        ("orders", "0006_flash_sale_no_overlap"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
