from django.db import migrations, models


class Migration(migrations.Migration):
    """The deadlines job reminds an agent of a due follow-up call once."""

    dependencies = [
        ("customers", "0012_service_roles"),
    ]

    operations = [
        migrations.AddField(
            model_name="followup",
            name="reminded_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="agent reminded at"),
        ),
    ]
