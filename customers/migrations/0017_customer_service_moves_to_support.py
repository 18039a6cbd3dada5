"""Customer service (tickets, follow-ups, service targets, the FAQ) became an app of its
own, ``customers.support`` (label ``support``). Its models leave the customers app's state
only: the tables stay as they are and belong to the support app now (its 0001)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0016_ticket_paused_minutes'),
        ('support', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='faqarticle',
                    name='category',
                ),
                migrations.RemoveField(
                    model_name='faqarticle',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='faqarticle',
                    name='source_ticket',
                ),
                migrations.RemoveField(
                    model_name='ticketmessage',
                    name='from_article',
                ),
                migrations.RemoveField(
                    model_name='followup',
                    name='agent',
                ),
                migrations.RemoveField(
                    model_name='followup',
                    name='ticket',
                ),
                migrations.DeleteModel(
                    name='ServiceTarget',
                ),
                migrations.RemoveField(
                    model_name='ticket',
                    name='after_sales_case',
                ),
                migrations.RemoveField(
                    model_name='ticket',
                    name='assignee',
                ),
                migrations.RemoveField(
                    model_name='ticket',
                    name='order',
                ),
                migrations.RemoveField(
                    model_name='ticket',
                    name='product',
                ),
                migrations.RemoveField(
                    model_name='ticket',
                    name='shopper',
                ),
                migrations.RemoveField(
                    model_name='ticketstatuschange',
                    name='subject',
                ),
                migrations.RemoveField(
                    model_name='ticketbreach',
                    name='ticket',
                ),
                migrations.RemoveField(
                    model_name='ticketmessage',
                    name='ticket',
                ),
                migrations.RemoveField(
                    model_name='ticketattachment',
                    name='message',
                ),
                migrations.RemoveField(
                    model_name='ticketbreach',
                    name='assignee',
                ),
                migrations.RemoveField(
                    model_name='ticketmessage',
                    name='author',
                ),
                migrations.RemoveField(
                    model_name='ticketstatuschange',
                    name='actor',
                ),
                migrations.DeleteModel(
                    name='FaqCategory',
                ),
                migrations.DeleteModel(
                    name='FaqArticle',
                ),
                migrations.DeleteModel(
                    name='FollowUp',
                ),
                migrations.DeleteModel(
                    name='Ticket',
                ),
                migrations.DeleteModel(
                    name='TicketAttachment',
                ),
                migrations.DeleteModel(
                    name='TicketBreach',
                ),
                migrations.DeleteModel(
                    name='TicketMessage',
                ),
                migrations.DeleteModel(
                    name='TicketStatusChange',
                ),
            ],
            database_operations=[],
        ),
    ]
