"""Customer service's models, moved here from the customers app with their tables
(``db_table`` keeps the old names): the state is created here without touching the
database, and the content types (with their permissions and the groups holding them)
follow the models to the support app. On a new database the customers app's
migrations create the tables first."""

import customers.support.models.tickets
import django.contrib.postgres.indexes
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


MOVED = [
    "faqcategory",
    "faqarticle",
    "servicetarget",
    "ticket",
    "followup",
    "ticketbreach",
    "ticketmessage",
    "ticketattachment",
    "ticketstatuschange",
]


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    # New code that ran before this migration may have made content types of its own for
    # these models; the old ones carry the permissions groups hold, so they win.
    if ContentType.objects.filter(app_label="customers", model__in=MOVED).exists():
        ContentType.objects.filter(app_label="support", model__in=MOVED).delete()
    ContentType.objects.filter(app_label="customers", model__in=MOVED).update(app_label="support")


def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="support", model__in=MOVED).update(app_label="customers")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('customers', '0016_ticket_paused_minutes'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('catalog', '0007_review_moderation_history'),
        ('orders', '0011_refund_field_labels'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='FaqCategory',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=50, verbose_name='name')),
                        ('name_en', models.CharField(max_length=50, verbose_name='English name')),
                        ('slug', models.SlugField(unique=True, verbose_name='slug')),
                        ('position', models.PositiveIntegerField(default=0, verbose_name='position')),
                    ],
                    options={
                        'verbose_name': 'FAQ category',
                        'verbose_name_plural': 'FAQ categories',
                        'db_table': 'customers_faqcategory',
                        'ordering': ['position', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='ServiceTarget',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('type', models.CharField(choices=[('consultation', 'Question'), ('complaint', 'Complaint'), ('after_sales', 'After-sales'), ('suggestion', 'Suggestion')], max_length=15, verbose_name='type')),
                        ('priority', models.CharField(choices=[('low', 'Low'), ('normal', 'Normal'), ('high', 'High'), ('urgent', 'Urgent')], max_length=10, verbose_name='priority')),
                        ('first_response_minutes', models.PositiveIntegerField(verbose_name='first response within (minutes)')),
                        ('resolution_minutes', models.PositiveIntegerField(verbose_name='resolution within (minutes)')),
                    ],
                    options={
                        'verbose_name': 'service target',
                        'verbose_name_plural': 'service targets',
                        'db_table': 'customers_servicetarget',
                        'ordering': ['type', 'priority'],
                        'constraints': [models.UniqueConstraint(fields=('type', 'priority'), name='service_target_once'), models.CheckConstraint(condition=models.Q(('first_response_minutes__gt', 0), ('resolution_minutes__gte', models.F('first_response_minutes'))), name='service_target_sensible')],
                    },
                ),
                migrations.CreateModel(
                    name='Ticket',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.CharField(max_length=24, unique=True, verbose_name='ticket number')),
                        ('type', models.CharField(choices=[('consultation', 'Question'), ('complaint', 'Complaint'), ('after_sales', 'After-sales'), ('suggestion', 'Suggestion')], max_length=15, verbose_name='type')),
                        ('category', models.CharField(choices=[('quality', 'Product quality'), ('delivery', 'Delivery'), ('price', 'Price and promotions'), ('service', 'Service'), ('payment', 'Payment and refunds'), ('account', 'Account'), ('other', 'Other')], default='other', max_length=15, verbose_name='category')),
                        ('channel', models.CharField(choices=[('web', 'Web'), ('phone', 'Phone'), ('email', 'Email')], default='web', max_length=10, verbose_name='channel')),
                        ('priority', models.CharField(choices=[('low', 'Low'), ('normal', 'Normal'), ('high', 'High'), ('urgent', 'Urgent')], default='normal', max_length=10, verbose_name='priority')),
                        ('status', models.CharField(choices=[('new', 'New'), ('assigned', 'Being handled'), ('waiting', 'Waiting for the customer'), ('resolved', 'Resolved'), ('closed', 'Closed')], db_index=True, default='new', max_length=10, verbose_name='status')),
                        ('status_changed_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='status changed at')),
                        ('subject', models.CharField(max_length=200, verbose_name='subject')),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='opened at')),
                        ('first_response_due', models.DateTimeField(verbose_name='first response due')),
                        ('resolution_due', models.DateTimeField(verbose_name='resolution due')),
                        ('waiting_since', models.DateTimeField(blank=True, null=True, verbose_name='waiting for the customer since')),
                        ('paused_minutes', models.PositiveIntegerField(default=0, verbose_name='minutes waiting for the customer')),
                        ('first_response_at', models.DateTimeField(blank=True, null=True, verbose_name='first response at')),
                        ('resolved_at', models.DateTimeField(blank=True, null=True, verbose_name='resolved at')),
                        ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                        ('escalated_at', models.DateTimeField(blank=True, null=True, verbose_name='escalated at')),
                        ('reopened', models.PositiveIntegerField(default=0, verbose_name='times reopened')),
                        ('rating', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='rating')),
                        ('rating_comment', models.TextField(blank=True, verbose_name='rating comment')),
                        ('rated_at', models.DateTimeField(blank=True, null=True, verbose_name='rated at')),
                        ('after_sales_case', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='orders.aftersalescase', verbose_name='after-sales case')),
                        ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='assigned_tickets', to=settings.AUTH_USER_MODEL, verbose_name='agent')),
                        ('order', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='orders.order', verbose_name='order')),
                        ('product', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='catalog.product', verbose_name='product')),
                        ('shopper', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to=settings.AUTH_USER_MODEL, verbose_name='shopper')),
                    ],
                    options={
                        'verbose_name': 'ticket',
                        'verbose_name_plural': 'tickets',
                        'db_table': 'customers_ticket',
                        'ordering': ['-created_at', '-pk'],
                        'permissions': [('work_ticket', 'Can work tickets in the ticket view'), ('supervise_ticket', "Can see every agent's figures and reassign tickets"), ('see_contact_details', "Can see shoppers' full phone numbers and addresses")],
                    },
                ),
                migrations.CreateModel(
                    name='FollowUp',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('due_at', models.DateTimeField(db_index=True, verbose_name='due at')),
                        ('done_at', models.DateTimeField(blank=True, null=True, verbose_name='done at')),
                        ('note', models.TextField(blank=True, verbose_name='what the shopper said')),
                        ('reminded_at', models.DateTimeField(blank=True, null=True, verbose_name='agent reminded at')),
                        ('agent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='follow_ups', to=settings.AUTH_USER_MODEL, verbose_name='agent')),
                        ('ticket', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='follow_up', to='support.ticket')),
                    ],
                    options={
                        'verbose_name': 'follow-up',
                        'verbose_name_plural': 'follow-ups',
                        'db_table': 'customers_followup',
                        'ordering': ['due_at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='FaqArticle',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(max_length=200, verbose_name='question')),
                        ('title_en', models.CharField(blank=True, max_length=200, verbose_name='question in English')),
                        ('body', models.TextField(verbose_name='answer')),
                        ('body_en', models.TextField(blank=True, verbose_name='answer in English')),
                        ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], db_index=True, default='draft', max_length=10, verbose_name='status')),
                        ('position', models.PositiveIntegerField(default=0, verbose_name='position')),
                        ('search_text', models.TextField(default='', editable=False)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('helpful', models.PositiveIntegerField(default=0, verbose_name='found helpful')),
                        ('not_helpful', models.PositiveIntegerField(default=0, verbose_name='found not helpful')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('category', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='articles', to='support.faqcategory', verbose_name='category')),
                        ('source_ticket', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='support.ticket', verbose_name='drafted from ticket')),
                    ],
                    options={
                        'verbose_name': 'FAQ article',
                        'verbose_name_plural': 'FAQ articles',
                        'db_table': 'customers_faqarticle',
                        'ordering': ['category__position', 'position', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='TicketBreach',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('first_response', 'First response'), ('resolution', 'Resolution')], max_length=15, verbose_name='deadline')),
                        ('due_at', models.DateTimeField(verbose_name='was due')),
                        ('recorded_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='recorded at')),
                        ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='breaches', to='support.ticket')),
                    ],
                    options={
                        'verbose_name': 'missed deadline',
                        'verbose_name_plural': 'missed deadlines',
                        'db_table': 'customers_ticketbreach',
                        'ordering': ['-recorded_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='TicketMessage',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('body', models.TextField(verbose_name='message')),
                        ('internal', models.BooleanField(default=False, help_text='Seen by staff only.', verbose_name='internal note')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='sent at')),
                        ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='author')),
                        ('from_article', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='support.faqarticle')),
                        ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='messages', to='support.ticket')),
                    ],
                    options={
                        'verbose_name': 'ticket message',
                        'verbose_name_plural': 'ticket messages',
                        'db_table': 'customers_ticketmessage',
                        'ordering': ['created_at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='TicketAttachment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('file', models.FileField(upload_to=customers.support.models.tickets.ticket_attachment_path, verbose_name='file')),
                        ('name', models.CharField(max_length=200, verbose_name='file name')),
                        ('uploaded_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('message', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attachments', to='support.ticketmessage')),
                    ],
                    options={
                        'verbose_name': 'attachment',
                        'verbose_name_plural': 'attachments',
                        'db_table': 'customers_ticketattachment',
                        'ordering': ['pk'],
                    },
                ),
                migrations.CreateModel(
                    name='TicketStatusChange',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('transition', models.CharField(max_length=40, verbose_name='transition')),
                        ('from_state', models.CharField(max_length=30, verbose_name='from')),
                        ('to_state', models.CharField(max_length=30, verbose_name='to')),
                        ('reason', models.TextField(blank=True, verbose_name='reason')),
                        ('at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='at')),
                        ('actor', models.ForeignKey(blank=True, help_text='Empty when the system acted (a scheduled job).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                        ('subject', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='timeline', to='support.ticket')),
                    ],
                    options={
                        'verbose_name': 'ticket timeline entry',
                        'verbose_name_plural': 'ticket timeline',
                        'db_table': 'customers_ticketstatuschange',
                        'ordering': ['at', 'pk'],
                        'abstract': False,
                    },
                ),
                migrations.AddIndex(
                    model_name='ticket',
                    index=models.Index(condition=models.Q(('first_response_at__isnull', True), ('status__in', ['new', 'assigned'])), fields=['first_response_due'], name='ticket_first_response_open_idx'),
                ),
                migrations.AddIndex(
                    model_name='ticket',
                    index=models.Index(condition=models.Q(('status__in', ['new', 'assigned', 'waiting'])), fields=['resolution_due'], name='ticket_resolution_open_idx'),
                ),
                migrations.AddConstraint(
                    model_name='ticket',
                    constraint=models.CheckConstraint(condition=models.Q(('rating__isnull', True), models.Q(('rating__gte', 1), ('rating__lte', 5)), _connector='OR'), name='ticket_rating_1_to_5'),
                ),
                migrations.AddIndex(
                    model_name='faqarticle',
                    index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass('search_text', name='gin_trgm_ops'), name='faq_article_search_trgm'),
                ),
                migrations.AddConstraint(
                    model_name='ticketbreach',
                    constraint=models.UniqueConstraint(fields=('ticket', 'kind'), name='ticket_breach_once'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
