"""Payments, provider notifications and refunds in the admin (read-only: they change
through ``orders.services.payments`` only). The sandbox provider's books are shown to
superusers, as a developer would look into the provider's merchant portal."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from mall.admin.actions import ServiceAction, ServiceActionsMixin, make_admin_action
from mall.admin.readonly import ReadOnlyMixin

from ..exceptions import OrderError
from ..models import (
    BillDifference,
    BillReconciliation,
    Payment,
    PaymentNotification,
    Refund,
    SandboxRefund,
    SandboxTrade,
)
from ..providers.base import ProviderError
from ..services import payments

# Who may cancel an order (and so refund it) may push a stuck refund again.
RETRY_REFUNDS = "orders.cancel_order"


class AllFieldsReadOnly(ReadOnlyMixin):
    # Every field is shown, those no form could edit (created_at, ...) too.
    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


class NotificationInline(AllFieldsReadOnly, admin.TabularInline):
    model = PaymentNotification
    fields = ("received_at", "outcome", "message", "body")
    extra = 0
    ordering = ("-received_at", "-pk")
    verbose_name_plural = _("notifications received")


class RefundInline(AllFieldsReadOnly, admin.TabularInline):
    model = Refund
    fields = ("refund_no", "amount", "status", "reason", "attempts", "last_error", "created_at")
    extra = 0
    show_change_link = True


@admin.register(Payment)
class PaymentAdmin(AllFieldsReadOnly, admin.ModelAdmin):
    list_display = (
        "out_trade_no",
        "order",
        "provider",
        "amount",
        "status",
        "refunded_amount",
        "created_at",
        "paid_at",
    )
    list_filter = ("status", "provider", "created_at")
    list_select_related = ("order",)
    search_fields = ("=out_trade_no", "=provider_trade_no", "=order__number")
    date_hierarchy = "created_at"
    inlines = [NotificationInline, RefundInline]


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(AllFieldsReadOnly, admin.ModelAdmin):
    list_display = ("received_at", "provider", "outcome", "payment", "message")
    list_filter = ("outcome", "provider", "received_at")
    list_select_related = ("payment",)
    search_fields = ("=payment__out_trade_no",)
    date_hierarchy = "received_at"


def _retry(refund, actor, reason):
    return payments.retry_refund(refund=refund, actor=actor)


REFUND_ACTIONS = [
    ServiceAction(
        name="retry_refund",
        label=_("Submit again to the provider (refused or stuck)"),
        done=_("%(count)d refunds submitted again."),
        perform=_retry,
        sources=frozenset({Refund.Status.FAILED, Refund.Status.PENDING}),
        permission="retry",
        refusals=(OrderError, ProviderError),
        payout=lambda refund, data: refund.amount,
    )
]


@admin.register(Refund)
class RefundAdmin(ServiceActionsMixin, AllFieldsReadOnly, admin.ModelAdmin):
    list_display = (
        "refund_no",
        "payment",
        "order_number",
        "amount",
        "status",
        "attempts",
        "created_at",
        "completed_at",
    )
    list_filter = ("status", "created_at")
    list_select_related = ("payment__order",)
    search_fields = ("=refund_no", "=payment__out_trade_no", "=payment__order__number")
    date_hierarchy = "created_at"

    service_actions = REFUND_ACTIONS
    actions = [make_admin_action(spec) for spec in REFUND_ACTIONS]

    def has_retry_permission(self, request):
        return request.user.has_perm(RETRY_REFUNDS)

    @admin.display(description=_("order"), ordering="payment__order__number")
    def order_number(self, refund):
        return refund.payment.order.number


class SandboxRefundInline(AllFieldsReadOnly, admin.TabularInline):
    model = SandboxRefund
    fields = ("refund_no", "out_request_no", "amount", "reason", "created_at")
    extra = 0


@admin.register(SandboxTrade)
class SandboxTradeAdmin(AllFieldsReadOnly, admin.ModelAdmin):
    list_display = (
        "trade_no",
        "out_trade_no",
        "amount",
        "refunded_amount",
        "status",
        "created_at",
        "notified_at",
        "notify_attempts",
    )
    list_filter = ("status",)
    search_fields = ("=trade_no", "=out_trade_no")
    inlines = [SandboxRefundInline]


class BillDifferenceInline(AllFieldsReadOnly, admin.TabularInline):
    model = BillDifference
    fields = ("kind", "entry", "out_trade_no", "refund_no", "shop_amount", "bill_amount")
    extra = 0


@admin.register(BillReconciliation)
class BillReconciliationAdmin(AllFieldsReadOnly, admin.ModelAdmin):
    """The daily job's findings (orders.tasks.reconcile_payment_bills): what a person must
    look at, never corrected by the shop itself."""

    list_display = ("bill_date", "provider", "bill_lines", "shop_lines", "differences", "error")
    list_filter = ("provider", "bill_date")
    date_hierarchy = "bill_date"
    inlines = [BillDifferenceInline]
