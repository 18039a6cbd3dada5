from django.db import migrations


def sync_roles(apps, schema_editor):
    from mall.roles import sync_role_groups

    sync_role_groups(apps, strict=False)


class Migration(migrations.Migration):
    """Support agents work tickets and draft FAQ articles; supervisors also see every
    agent's figures, full contact details and the service targets; operators keep the
    knowledge base and moderate product reviews."""

    dependencies = [
        ("customers", "0011_tickets_faq_vip"),
        ("catalog", "0006_product_reviews"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
