from django.db import migrations, models


def start_pauses(apps, schema_editor):
    # Tickets already waiting for the customer have waited since their last change.
    Ticket = apps.get_model("customers", "Ticket")
    Ticket.objects.filter(status="waiting").update(waiting_since=models.F("status_changed_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0014_faq_article_not_helpful"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="waiting_since",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="waiting for the customer since"
            ),
        ),
        migrations.RunPython(start_pauses, migrations.RunPython.noop),
    ]
