from django.db import migrations


def sync_roles(apps, schema_editor):
    from mall.roles import sync_role_groups

    sync_role_groups(apps, strict=False)


class Migration(migrations.Migration):
    """The catalog's permissions for the operator, warehouse and analyst roles."""

    dependencies = [
        ("customers", "0002_staff_roles"),
        ("catalog", "0001_initial"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
