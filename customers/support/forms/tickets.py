"""Forms of customer service: the shopper's new ticket, reply and rating; the agents'
reply, note, actions, queue filters, phone tickets; the supervisors' dashboard period and
service targets. They check the shape of the input; the rules are the services'
(``customers.support.services.tickets``), whose refusals come back as form errors."""

import datetime

from django import forms
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Product
from customers.models import User
from customers.support.models import FaqCategory, Ticket
from customers.support.selectors.tickets import VIEWS
from customers.support.services.tickets import MAX_ATTACHMENTS, MAX_BODY
from mall.forms import MultipleFileField
from mall.validators import normalize_mobile
from orders.models import AfterSalesCase, Order, OrderLine

Type, Priority, Channel = Ticket.Type, Ticket.Priority, Ticket.Channel
MAX_DASHBOARD_DAYS = 366


class AttachmentsField(MultipleFileField):
    """Pictures and PDF files in one input, at most ``MAX_ATTACHMENTS``; their content is
    checked by the service."""

    accept = "image/*,application/pdf"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attachments"))
        super().__init__(*args, **kwargs)
        self.help_text = _("Up to %(count)s pictures or PDF files, at most %(mb)s MB each.") % {
            "count": MAX_ATTACHMENTS,
            "mb": settings.MALL_MAX_IMAGE_BYTES // (1024 * 1024),
        }

    def clean(self, data, initial=None):
        files = super().clean(data, initial)
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(
                _("Attach at most %(count)s files.") % {"count": MAX_ATTACHMENTS}
            )
        limit = max(settings.MALL_MAX_IMAGE_BYTES, settings.MALL_MAX_DOCUMENT_BYTES)
        for upload in files:
            if upload.size > limit:
                raise forms.ValidationError(
                    _("%(name)s is larger than %(mb)s MB.")
                    % {"name": upload.name, "mb": limit // (1024 * 1024)}
                )
        return files


def _body_field(label, rows=5, required=True):
    return forms.CharField(
        label=label,
        max_length=MAX_BODY,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


# --- The shopper ---------------------------------------------------------------------------


class NewTicketForm(forms.Form):
    """A shopper's request: what kind, about what, the message and files, and optionally
    one of their orders, after-sales cases or a product (choices limited to their own)."""

    type = forms.ChoiceField(
        label=_("What kind of request?"), choices=Type.choices, widget=forms.RadioSelect
    )
    category = forms.ChoiceField(
        label=_("What is it about?"),
        choices=Ticket.Category.choices,
        initial="other",
        required=False,
    )
    subject = forms.CharField(
        label=_("Summary"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    body = _body_field(_("Your message"), rows=6)
    order = forms.ChoiceField(label=_("Order number"), required=False)
    after_sales_case = forms.ChoiceField(label=_("After-sales case"), required=False)
    product = forms.ChoiceField(label=_("Product"), required=False)
    attachments = AttachmentsField()

    def __init__(self, *args, shopper, extra_product=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.shopper = shopper
        none = [("", "—")]
        self.orders = {
            order.number: order
            for order in Order.objects.filter(user=shopper).order_by("-placed_at", "-pk")[:20]
        }
        self.fields["order"].choices = none + [
            (number, f"{number} · {order.placed_at:%Y-%m-%d}")
            for number, order in self.orders.items()
        ]
        self.cases = {
            case.number: case
            for case in AfterSalesCase.objects.filter(user=shopper).order_by("-created_at", "-pk")[
                :20
            ]
        }
        self.fields["after_sales_case"].choices = none + [
            (number, f"{number} · {case.get_kind_display()}") for number, case in self.cases.items()
        ]
        bought = OrderLine.objects.filter(order__user=shopper).values("sku__product")
        products = Product.objects.filter(pk__in=bought)
        if extra_product is not None:
            products = Product.objects.filter(Q(pk__in=bought) | Q(pk=extra_product.pk))
        self.products = {product.pk: product for product in products.order_by("name", "pk")[:30]}
        self.fields["product"].choices = none + [
            (str(pk), product.name) for pk, product in self.products.items()
        ]

    def linked(self) -> dict:
        """The chosen order, case and product objects (None when not chosen)."""
        data = self.cleaned_data
        product = data.get("product")
        return {
            "order": self.orders.get(data.get("order") or ""),
            "after_sales_case": self.cases.get(data.get("after_sales_case") or ""),
            "product": self.products.get(int(product)) if product else None,
        }


class ShopperReplyForm(forms.Form):
    body = _body_field(_("Your reply"), rows=4)
    attachments = AttachmentsField()


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with our service?"),
        coerce=int,
        choices=[(n, n) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# --- The agents -----------------------------------------------------------------------------


class ReplyForm(forms.Form):
    body = _body_field(_("Reply to the shopper"), rows=6)
    attachments = AttachmentsField()
    wait_for_customer = forms.BooleanField(
        label=_("Wait for the customer's answer"), required=False
    )
    from_article = forms.IntegerField(required=False, widget=forms.HiddenInput)


class NoteForm(forms.Form):
    body = _body_field(_("Internal note (staff only)"), rows=3)
    attachments = AttachmentsField()


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Note (optional)"), required=False, max_length=500)


def agents():
    """Active staff who work tickets (for reassigning and filters): one query."""
    work = Permission.objects.filter(
        content_type__app_label=Ticket._meta.app_label, codename="work_ticket"
    )
    return (
        User.objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(groups__permissions__in=work) | Q(user_permissions__in=work) | Q(is_superuser=True)
        )
        .distinct()
        .order_by("display_name", "pk")
    )


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Ticket.Priority.choices)
    reason = forms.CharField(label=_("Why"), max_length=500)


class ReassignForm(forms.Form):
    agent = forms.ModelChoiceField(label=_("Assign to"), queryset=User.objects.none())

    def __init__(self, *args, agent_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = agents()
        if agent_choices is not None:
            # Choices already read by the page: no second query to render them.
            self.fields["agent"].choices = [("", "—")] + [(a.pk, str(a)) for a in agent_choices]


class DraftArticleForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("FAQ category"), queryset=FaqCategory.objects.order_by("position", "pk")
    )
    title = forms.CharField(label=_("Question (optional)"), required=False, max_length=200)


class FollowUpForm(forms.Form):
    note = forms.CharField(
        label=_("What the shopper said"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class QueueFilterForm(forms.Form):
    """The queue's GET parameters; anything invalid is ignored, never an error page."""

    view = forms.ChoiceField(choices=list(VIEWS.items()), required=False)
    type = forms.ChoiceField(choices=[("", _("Any type")), *Type.choices], required=False)
    priority = forms.ChoiceField(
        choices=[("", _("Any priority")), *Priority.choices], required=False
    )
    status = forms.ChoiceField(
        choices=[("", _("Any status")), *Ticket.Status.choices], required=False
    )
    agent = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    q = forms.CharField(required=False, max_length=100)
    tag = forms.CharField(required=False, max_length=30)

    def __init__(self, *args, agent_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [("", _("Any agent"))] + [
            (a.pk, str(a)) for a in agent_choices
        ]

    def values(self, default_view: str) -> dict:
        self.is_valid()  # invalid fields drop out of cleaned_data; the valid ones count
        data = self.cleaned_data
        return {
            "view": data.get("view") or default_view,
            "type_": data.get("type") or "",
            "priority": data.get("priority") or "",
            "status": data.get("status") or "",
            "agent": data.get("agent") or None,
            "query": (data.get("q") or "").strip(),
            "tag": (data.get("tag") or "").strip(),
        }


class PhoneTicketForm(forms.Form):
    """An agent records a phone call or an email as a ticket for a shopper."""

    contact = forms.CharField(
        label=_("Shopper's mobile number or email"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(Channel.PHONE, Channel.PHONE.label), (Channel.EMAIL, Channel.EMAIL.label)],
        initial=Channel.PHONE,
    )
    type = forms.ChoiceField(label=_("Type"), choices=Type.choices)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    category = forms.ChoiceField(
        label=_("What is it about?"), choices=Ticket.Category.choices, initial="other"
    )
    subject = forms.CharField(label=_("Summary"), max_length=200)
    body = _body_field(_("What the shopper said"), rows=5)
    order = forms.CharField(label=_("Order number (optional)"), required=False, max_length=24)

    def clean_contact(self):
        contact = self.cleaned_data["contact"].strip()
        if "@" in contact:
            shopper = User.objects.filter(email__iexact=contact).first()
        else:
            shopper = User.objects.filter(phone=normalize_mobile(contact)).first()
        if shopper is None or not shopper.is_active:
            raise forms.ValidationError(_("No shopper with this mobile number or email."))
        self.shopper = shopper
        return contact

    def clean(self):
        cleaned = super().clean()
        number = (cleaned.get("order") or "").strip()
        cleaned["order_obj"] = None
        if number and getattr(self, "shopper", None) is not None:
            order = Order.objects.filter(number=number, user=self.shopper).first()
            if order is None:
                self.add_error("order", _("This shopper has no order with this number."))
            cleaned["order_obj"] = order
        return cleaned


# --- The supervisors --------------------------------------------------------------------------


class PeriodForm(forms.Form):
    """The dashboard's period: from ``start`` to ``end`` (both included, shop's dates)."""

    start = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The period ends before it starts."))
            if (end - start).days >= MAX_DASHBOARD_DAYS:
                raise forms.ValidationError(
                    _("Choose at most %(days)s days.") % {"days": MAX_DASHBOARD_DAYS}
                )
        return cleaned

    @staticmethod
    def default_dates() -> tuple[datetime.date, datetime.date]:
        today = timezone.localdate()
        return today - datetime.timedelta(days=29), today

    def period(self) -> tuple[datetime.date, datetime.date]:
        if self.is_bound and self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return self.default_dates()


class TargetsForm(forms.Form):
    """Every type and priority's two targets in minutes (fields ``<type>__<priority>__first``
    and ``...__resolution``)."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            for part, value in (
                ("first", row.first_response_minutes),
                ("resolution", row.resolution_minutes),
            ):
                self.fields[f"{row.type}__{row.priority}__{part}"] = forms.IntegerField(
                    min_value=1,
                    max_value=60 * 24 * 90,
                    initial=value,
                    widget=forms.NumberInput(attrs={"class": "minutes"}),
                )

    def table(self):
        """(row, first field, resolution field) for the template."""
        return [
            (
                row,
                self[f"{row.type}__{row.priority}__first"],
                self[f"{row.type}__{row.priority}__resolution"],
            )
            for row in self.rows
        ]

    def clean(self):
        cleaned = super().clean()
        for row in self.rows:
            first = cleaned.get(f"{row.type}__{row.priority}__first")
            resolution = cleaned.get(f"{row.type}__{row.priority}__resolution")
            if first and resolution and resolution < first:
                self.add_error(
                    f"{row.type}__{row.priority}__resolution",
                    _("The resolution cannot be due before the first response."),
                )
        return cleaned

    def changed_targets(self):
        """(type, priority, first, resolution) of the rows whose values differ."""
        for row in self.rows:
            first = self.cleaned_data[f"{row.type}__{row.priority}__first"]
            resolution = self.cleaned_data[f"{row.type}__{row.priority}__resolution"]
            if row.is_default or (first, resolution) != (
                row.first_response_minutes,
                row.resolution_minutes,
            ):
                yield row.type, row.priority, first, resolution
