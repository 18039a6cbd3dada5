"""Customer service: tickets (consultations, complaints, after-sales questions,
suggestions) worked by support agents against deadlines, with a satisfaction survey and
follow-up calls (回访) after resolved complaints.

A ticket is a state machine (new → assigned → waiting for the customer → resolved →
closed; reopen) with a recorded timeline. Its two deadlines (first response, resolution)
are fixed when it is opened from the ``ServiceTarget`` of its type and priority, counted
in business hours when the shop configures them.

The tables keep the names they had in the customers app, where these models lived
until customer service became an app of its own (migration support 0001).
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.statemachine import Machine, Transition, TransitionRecord


class Ticket(models.Model):
    class Type(models.TextChoices):
        CONSULTATION = "consultation", _("Question")
        COMPLAINT = "complaint", _("Complaint")
        AFTER_SALES = "after_sales", _("After-sales")
        SUGGESTION = "suggestion", _("Suggestion")

    class Channel(models.TextChoices):
        WEB = "web", _("Web")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("ticket status", "New")
        ASSIGNED = "assigned", _("Being handled")
        WAITING = "waiting", _("Waiting for the customer")
        RESOLVED = "resolved", pgettext_lazy("ticket", "Resolved")
        CLOSED = "closed", _("Closed")

    class Category(models.TextChoices):
        # What a complaint (or question) is about, for the feedback report.
        QUALITY = "quality", _("Product quality")
        DELIVERY = "delivery", pgettext_lazy("ticket category", "Delivery")
        PRICE = "price", _("Price and promotions")
        SERVICE = "service", _("Service")
        PAYMENT = "payment", _("Payment and refunds")
        ACCOUNT = "account", _("Account")
        OTHER = "other", _("Other")

    number = models.CharField(_("ticket number"), max_length=24, unique=True)
    type = models.CharField(_("type"), max_length=15, choices=Type.choices)
    category = models.CharField(
        pgettext_lazy("ticket", "category"),
        max_length=15,
        choices=Category.choices,
        default=Category.OTHER,
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW, db_index=True
    )
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    subject = models.CharField(pgettext_lazy("ticket", "subject"), max_length=200)
    shopper = models.ForeignKey(
        "customers.User",
        verbose_name=_("shopper"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    after_sales_case = models.ForeignKey(
        "orders.AfterSalesCase",
        verbose_name=_("after-sales case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    assignee = models.ForeignKey(
        "customers.User",
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
    )
    created_at = models.DateTimeField(
        pgettext_lazy("ticket", "opened at"), default=timezone.now, db_index=True
    )
    # Deadlines, fixed when the ticket is opened (from its ServiceTarget), and when they
    # were met. The resolution clock stops while the ticket waits for the customer: on
    # leaving "waiting" the deadline moves by the working time spent there.
    first_response_due = models.DateTimeField(_("first response due"))
    resolution_due = models.DateTimeField(_("resolution due"))
    waiting_since = models.DateTimeField(_("waiting for the customer since"), null=True, blank=True)
    # Working minutes spent waiting so far: resolution_due = opening + target + these.
    paused_minutes = models.PositiveIntegerField(_("minutes waiting for the customer"), default=0)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(
        pgettext_lazy("ticket", "resolved at"), null=True, blank=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Escalation to the supervisors before a deadline passes (once per deadline).
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    reopened = models.PositiveIntegerField(_("times reopened"), default=0)
    # The shopper's rating once resolved.
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    # Agents' labels (退款, 物流, ...), set by hand or by a macro; the queue filters by them.
    tags = ArrayField(
        models.CharField(max_length=30), verbose_name=_("tags"), default=list, blank=True
    )

    class Meta:
        db_table = "customers_ticket"
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("work_ticket", "Can work tickets in the ticket view"),
            ("supervise_ticket", "Can see every agent's figures and reassign tickets"),
            ("see_contact_details", "Can see shoppers' full phone numbers and addresses"),
        ]
        indexes = [
            GinIndex(fields=["tags"], name="ticket_tags_idx"),
            models.Index(
                fields=["first_response_due"],
                condition=Q(first_response_at__isnull=True) & Q(status__in=["new", "assigned"]),
                name="ticket_first_response_open_idx",
            ),
            models.Index(
                fields=["resolution_due"],
                condition=Q(status__in=["new", "assigned", "waiting"]),
                name="ticket_resolution_open_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="ticket_rating_1_to_5",
            ),
        ]

    def __str__(self):
        return self.number


TICKET_MACHINE = Machine(
    Transition(
        "assign", sources={"new", "assigned", "waiting"}, target="assigned", label=_("assign")
    ),
    Transition(
        "wait_for_customer",
        sources={"new", "assigned"},
        target="waiting",
        label=_("wait for the customer"),
    ),
    Transition(
        "customer_replied", sources={"waiting"}, target="assigned", label=_("customer replied")
    ),
    Transition(
        "resolve", sources={"new", "assigned", "waiting"}, target="resolved", label=_("resolve")
    ),
    Transition("close", sources={"resolved"}, target="closed", label=_("close")),
    Transition("reopen", sources={"resolved", "closed"}, target="assigned", label=_("reopen")),
)


class TicketStatusChange(TransitionRecord):
    subject = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="timeline")

    class Meta(TransitionRecord.Meta):
        db_table = "customers_ticketstatuschange"
        verbose_name = _("ticket timeline entry")
        verbose_name_plural = _("ticket timeline")


class TicketMessage(models.Model):
    """One message of the conversation, or an internal note (staff only)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        "customers.User", verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(pgettext_lazy("ticket", "message"))
    internal = models.BooleanField(
        _("internal note"), default=False, help_text=_("Seen by staff only.")
    )
    # The FAQ article an agent's reply was drawn from (a canned answer), if any.
    from_article = models.ForeignKey(
        "support.FaqArticle", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        db_table = "customers_ticketmessage"
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.ticket_id} · {self.created_at:%Y-%m-%d %H:%M}"


def ticket_attachment_path(instance, filename):
    # Private: served to the ticket's shopper and support staff only.
    return f"tickets/{instance.message.ticket_id}/{filename}"


class TicketAttachment(models.Model):
    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=ticket_attachment_path)
    name = models.CharField(_("file name"), max_length=200)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "customers_ticketattachment"
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self):
        return self.name


class ServiceTarget(models.Model):
    """How fast a ticket of one type and priority must be answered and resolved."""

    type = models.CharField(_("type"), max_length=15, choices=Ticket.Type.choices)
    priority = models.CharField(_("priority"), max_length=10, choices=Ticket.Priority.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"))

    class Meta:
        db_table = "customers_servicetarget"
        verbose_name = _("service target")
        verbose_name_plural = _("service targets")
        ordering = ["type", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["type", "priority"], name="service_target_once"),
            models.CheckConstraint(
                condition=Q(first_response_minutes__gt=0)
                & Q(resolution_minutes__gte=models.F("first_response_minutes")),
                name="service_target_sensible",
            ),
        ]

    def __str__(self):
        return f"{self.get_type_display()} · {self.get_priority_display()}"


class TicketBreach(models.Model):
    """A deadline a ticket missed, recorded once per ticket and deadline."""

    class Kind(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("First response")
        RESOLUTION = "resolution", pgettext_lazy("ticket", "Resolution")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="breaches")
    kind = models.CharField(_("deadline"), max_length=15, choices=Kind.choices)
    due_at = models.DateTimeField(_("was due"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    assignee = models.ForeignKey(
        "customers.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "customers_ticketbreach"
        verbose_name = _("missed deadline")
        verbose_name_plural = _("missed deadlines")
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind"], name="ticket_breach_once"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.kind}"


class FollowUp(models.Model):
    """A follow-up call (回访) to the shopper some days after a complaint was resolved."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="follow_up")
    agent = models.ForeignKey(
        "customers.User",
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    due_at = models.DateTimeField(_("due at"), db_index=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    note = models.TextField(_("what the shopper said"), blank=True)
    # When the agent was told it is due (once, by the deadlines job).
    reminded_at = models.DateTimeField(_("agent reminded at"), null=True, blank=True)

    class Meta:
        db_table = "customers_followup"
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_at", "pk"]

    def __str__(self):
        return f"{self.ticket_id} · {self.due_at:%Y-%m-%d}"
