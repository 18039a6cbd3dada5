"""Operators' view of orders: filters (state, date, amount, payment, review), search by
order number or phone, the lines, payments and timeline, and the actions the state
machine and the review allow. Orders change only through their services: the review
actions and cancellation (which refunds a paid order); nobody edits an order's fields."""

from django import forms
from django.contrib import admin
from django.db.models import Exists, OuterRef, Q
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from mall.admin.actions import ServiceAction, ServiceActionsMixin, make_admin_action
from mall.admin.contacts import MaskedContactsMixin
from mall.admin.history import TransitionHistoryInline
from mall.crypto import blind_index
from mall.statemachine import IllegalTransition
from mall.validators import normalize_mobile, validate_mobile

from ..exceptions import OrderError
from ..models import (
    ORDER_MACHINE,
    BlockedContact,
    Order,
    OrderDiscount,
    OrderLine,
    OrderStatusChange,
    Payment,
)
from ..services import ordering
from ..services import risk_review as review


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = (
        "product_name",
        "sku_code",
        "sku_label",
        "unit_price",
        "quantity",
        "line_total",
        "discount_total",
        "gift_source",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class OrderDiscountInline(admin.TabularInline):
    """Each source's discount (a promotion, a coupon) with the line the shopper read."""

    model = OrderDiscount
    fields = ("source", "kind", "text", "amount")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("discounts")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("explanation"))
    def text(self, discount):
        return discount.text


class OrderPaymentInline(admin.TabularInline):
    model = Payment
    fields = ("out_trade_no", "provider", "amount", "status", "refunded_amount", "paid_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = _("payments")

    def has_add_permission(self, request, obj=None):
        return False


class OrderTimelineInline(TransitionHistoryInline):
    model = OrderStatusChange
    status_choices = dict(Order.Status.choices)
    machine = ORDER_MACHINE
    verbose_name = _("timeline entry")
    verbose_name_plural = _("timeline")


class ReviewFilter(admin.SimpleListFilter):
    title = _("risk review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            ("waiting", _("Awaiting review")),
            ("passed", _("Review passed")),
            ("none", _("Not flagged")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(review.AWAITING_REVIEW)
        if self.value() == "passed":
            return queryset.filter(needs_review=True, reviewed_at__isnull=False)
        if self.value() == "none":
            return queryset.filter(needs_review=False)
        return queryset


class PaymentFilter(admin.SimpleListFilter):
    title = _("payment")
    parameter_name = "payment"

    def lookups(self, request, model_admin):
        return [
            ("paid", _("Paid")),
            ("unpaid", _("Not paid")),
            ("refunded", _("With refunds")),
            ("failed", _("With a failed attempt")),
        ]

    def queryset(self, request, queryset):
        payments = Payment.objects.filter(order=OuterRef("pk"))
        succeeded = payments.filter(status=Payment.Status.SUCCEEDED)
        if self.value() == "paid":
            return queryset.filter(Exists(succeeded))
        if self.value() == "unpaid":
            return queryset.exclude(Exists(succeeded))
        if self.value() == "refunded":
            return queryset.filter(Exists(payments.filter(refunded_amount__gt=0)))
        if self.value() == "failed":
            return queryset.filter(Exists(payments.filter(status=Payment.Status.FAILED)))
        return queryset


class AmountFilter(admin.SimpleListFilter):
    title = _("total")
    parameter_name = "total"
    RANGES = {
        "lt100": (None, 100),
        "100-500": (100, 500),
        "500-2000": (500, 2000),
        "gte2000": (2000, None),
    }

    def lookups(self, request, model_admin):
        return [
            ("lt100", _("Below ¥100")),
            ("100-500", _("¥100 to ¥500")),
            ("500-2000", _("¥500 to ¥2,000")),
            ("gte2000", _("¥2,000 and more")),
        ]

    def queryset(self, request, queryset):
        if self.value() not in self.RANGES:
            return queryset
        low, high = self.RANGES[self.value()]
        condition = Q()
        if low is not None:
            condition &= Q(total__gte=low)
        if high is not None:
            condition &= Q(total__lt=high)
        return queryset.filter(condition)


def _approve(order, actor, note):
    return review.approve_review(order=order, actor=actor, note=note)


def _cancel(order, actor, reason):
    return ordering.cancel_order(order=order, actor=actor, reason=reason)


ORDER_ACTIONS = [
    ServiceAction(
        name="approve_review",
        label=_("Pass the risk review"),
        done=_("%(count)d orders released to fulfilment."),
        perform=_approve,
        sources=frozenset({Order.Status.PENDING_PAYMENT, Order.Status.PAID}),
        reason_label=_("Note (optional, kept on the timeline)"),
        reason_required=False,
        permission="review",
        refusals=(OrderError,),
    ),
    ServiceAction(
        name="cancel",
        label=_("Cancel (a paid order is refunded in full)"),
        done=_("%(count)d orders cancelled."),
        perform=_cancel,
        sources=ORDER_MACHINE["cancel"].sources,
        reason_label=_("Reason (shown to the shopper on the order's timeline)"),
        permission="cancel",
        refusals=(OrderError, IllegalTransition),
    ),
]


@admin.register(Order)
class OrderAdmin(MaskedContactsMixin, ServiceActionsMixin, admin.ModelAdmin):
    masked_contact_fields = {"mobile": "mobile", "street": "street"}
    list_display = (
        "number",
        "user",
        "status",
        "total",
        "awaiting_review",
        "recipient",
        "mobile",
        "province",
        "placed_at",
        "pay_by",
    )
    list_filter = (
        "status",
        ReviewFilter,
        PaymentFilter,
        AmountFilter,
        "shipping_method",
        "placed_at",
    )
    list_select_related = ("user",)
    search_fields = ("=number", "user__phone", "user__email")
    search_help_text = _("Order number, or the mobile number or email of the shopper or delivery")
    date_hierarchy = "placed_at"
    inlines = [OrderLineInline, OrderDiscountInline, OrderPaymentInline, OrderTimelineInline]
    service_actions = ORDER_ACTIONS
    actions = [make_admin_action(spec) for spec in ORDER_ACTIONS]
    fieldsets = (
        (None, {"fields": ("number", "user", "status", "placed_at", "pay_by")}),
        (
            _("Risk review"),
            {"fields": ("needs_review", "review_reasons_list", "reviewed_by", "reviewed_at")},
        ),
        (
            _("Delivery"),
            {
                "fields": (
                    "recipient",
                    "mobile",
                    "province",
                    "city",
                    "district",
                    "street",
                    "postal_code",
                    "shipping_method",
                )
            },
        ),
        (
            _("Amounts"),
            {
                "fields": (
                    "goods_total",
                    "shipping_fee",
                    "discount_total",
                    "shipping_discount",
                    "total",
                    "stored_value_paid",
                )
            },
        ),
        (_("Invoice"), {"fields": ("invoice_title", "tax_number")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Order._meta.fields] + ["review_reasons_list"]

    def get_search_results(self, request, queryset, search_term):
        # The delivery mobile is encrypted: it is found by its keyed hash.
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        number = normalize_mobile(search_term.strip())
        if len(number) == 11 and number.isdigit():
            found = found | queryset.filter(mobile_index=blind_index(number))
        return found, may_have_duplicates

    @admin.display(description=_("awaiting review"), boolean=True)
    def awaiting_review(self, order):
        return review.awaiting_review(order)

    @admin.display(description=_("why it is flagged"))
    def review_reasons_list(self, order):
        return (
            format_html_join("", "<p>{}</p>", ((reason,) for reason in order.review_reasons)) or "—"
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request):
        return request.user.has_perm("orders.review_order")

    def has_cancel_permission(self, request):
        return request.user.has_perm("orders.cancel_order")


class BlockedContactForm(forms.ModelForm):
    class Meta:
        model = BlockedContact
        fields = ("kind", "value", "reason", "is_active")

    def clean(self):
        data = super().clean()
        value = (data.get("value") or "").strip()
        if data.get("kind") == BlockedContact.Kind.PHONE and value:
            try:
                validate_mobile(value)
            except forms.ValidationError as error:
                self.add_error("value", error)
                return data
            value = normalize_mobile(value)
        elif len("".join(value.split())) < 3:
            self.add_error("value", _("An address fragment needs at least 3 characters."))
        data["value"] = value
        return data


@admin.register(BlockedContact)
class BlockedContactAdmin(admin.ModelAdmin):
    """Phones and address fragments whose orders wait for a review."""

    form = BlockedContactForm

    list_display = ("kind", "value", "reason", "is_active", "created_by", "created_at")
    list_filter = ("kind", "is_active")
    list_select_related = ("created_by",)
    search_fields = ("value", "reason")
    fields = ("kind", "value", "reason", "is_active")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
