"""Money back for a case: what is due (one policy function, ``refund_due``) and paying it
once, through the payment's refund with the case's idempotency key."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from customers.services import notify
from mall.money import to_money

from ...exceptions import AfterSalesError
from ...models import AFTER_SALES_MACHINE, AfterSalesCase, AfterSalesLine, Payment, Refund
from .. import payments
from .rules import (
    FAULT_REASONS,
    MONEY_BACK,
    Kind,
    Status,
    _locked,
    _not_for_kind,
    _step,
    case_url,
    refund_key,
)

# --- Money back ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundDue:
    goods: Decimal
    shipping: Decimal
    lines: dict[int, Decimal] = field(default_factory=dict)  # case line pk -> goods part

    @property
    def total(self) -> Decimal:
        return self.goods + self.shipping


def refund_units(line: AfterSalesLine, kind: str) -> int:
    """Units of a case line the shopper gets money back for: all claimed units of a
    refund without return, the units that arrived of a return, none otherwise."""
    if kind == Kind.REFUND:
        return line.quantity
    if kind == Kind.RETURN:
        return line.resaleable + line.written_off
    return 0


def refund_due(case: AfterSalesCase) -> RefundDue:
    """What the shop refunds for ``case``: THE after-sales refund policy.

    - **Goods**: each refunded unit (``refund_units``: the units that arrived of a return,
      all claimed units of a refund without return) at its order line's unit price, less
      its pro-rated share of the order's discounts (discounts apply to the goods:
      goods paid = goods total − discounts, shared in proportion to the unit prices).
    - **Shipping**: when the goods were at fault (quality, damaged, wrong item, not as
      described, parts missing) the seller pays: the original shipping fee is refunded in
      proportion to the goods' share of the order (at unit prices), and the return parcel
      is sent freight collect at the shop's cost. A return without a reason refunds no
      shipping, and its postage back is the shopper's.
    - **Never more than was paid**: amounts are cumulative over the order's refunded
      cases, rounded once (``to_money``) on the running total and differenced, so the
      cases of one order add up to at most goods paid + shipping fee, to the cent, in
      whatever parts they come.

    Exchanges and repairs refund nothing. Reads the order's earlier refunded cases; the
    caller holds the order's row lock (``refund_case`` does).
    """
    order = case.order
    lines = list(case.lines.select_related("order_line").order_by("pk"))
    if order.goods_total <= 0 or case.kind not in MONEY_BACK:
        return RefundDue(
            Decimal("0.00"), Decimal("0.00"), {line.pk: Decimal("0.00") for line in lines}
        )
    earlier = (
        AfterSalesLine.objects.filter(case__order=order, case__refund_amount__isnull=False)
        .exclude(case=case)
        .select_related("case", "order_line")
    )
    before = before_fault = Decimal(0)
    for line in earlier:
        value = line.order_line.unit_price * refund_units(line, line.case.kind)
        before += value
        if line.case.reason in FAULT_REASONS:
            before_fault += value
    values = {line.pk: line.order_line.unit_price * refund_units(line, case.kind) for line in lines}
    this = sum(values.values(), Decimal(0))
    paid_goods = order.goods_total - order.discount_total

    def goods_paid(value):  # unit-price value -> what was paid for it, not yet rounded
        return value * paid_goods / order.goods_total

    goods = to_money(goods_paid(before + this)) - to_money(goods_paid(before))
    shipping = Decimal("0.00")
    if case.reason in FAULT_REASONS and order.shipping_fee > 0:
        fee = order.shipping_fee
        shipping = to_money(fee * (before_fault + this) / order.goods_total) - to_money(
            fee * before_fault / order.goods_total
        )
    # The goods part by line (for the report), the rounding difference on the largest.
    by_line = {pk: to_money(goods_paid(value)) for pk, value in values.items()}
    if by_line:
        largest = max(by_line, key=lambda pk: (by_line[pk], -pk))
        by_line[largest] += goods - sum(by_line.values(), Decimal(0))
    return RefundDue(goods=goods, shipping=shipping, lines=by_line)


def refund_case(*, case: AfterSalesCase, actor) -> Refund | None:
    """Refund a return that was received, or a refund without return that was approved,
    by the policy (``refund_due``), through the order's payment and its provider. Returns
    the ``Refund`` (``pending`` until the provider paid it, after commit), or None when
    nothing was paid for the goods.

    Pays once: the order and case rows are locked, a case refunded already returns its
    refund, and the payment's refund is keyed ``aftersales-<case number>``; the payment
    never refunds more than it received. The caller checks who may refund (support on
    approval, the warehouse on inspection, an operator retrying in the admin).

    Raises ``RefundRefused`` (what is left of the payment, written nothing) when the
    payment has less left than is due, ``AfterSalesError`` for an exchange or a repair or
    an order without payment, ``IllegalTransition`` otherwise.
    """
    with transaction.atomic():
        order, case = _locked(case)
        if case.refund_amount is not None:
            return case.refund
        if case.kind not in MONEY_BACK:
            raise _not_for_kind(case, "refund")
        ready = Status.RECEIVED if case.kind == Kind.RETURN else Status.APPROVED
        if case.status != ready:
            if AFTER_SALES_MACHINE.can(case, "refund"):
                raise _not_for_kind(case, "refund")
            AFTER_SALES_MACHINE.check(case, "refund")
        due = refund_due(case)
        refund = None
        if due.total > 0:
            payment = order.payments.filter(status=Payment.Status.SUCCEEDED).first()
            if payment is None:
                raise AfterSalesError(
                    _("Order %(order)s has no payment to refund.") % {"order": order.number}
                )
            refund = payments.refund(
                payment=payment,
                amount=due.total,
                reason=_("After-sales case %(number)s: goods %(goods)s, shipping %(shipping)s")
                % {"number": case.number, "goods": due.goods, "shipping": due.shipping},
                idempotency_key=refund_key(case),
                actor=actor,
            )
        for line_pk, amount in due.lines.items():
            AfterSalesLine.objects.filter(pk=line_pk).update(refund_amount=amount)
        case.refund_amount = due.goods
        case.shipping_refund = due.shipping
        case.refund = refund
        _step(
            case,
            "refund",
            actor=actor,
            reason=_("%(total)s refunded: goods %(goods)s, shipping %(shipping)s")
            % {"total": due.total, "goods": due.goods, "shipping": due.shipping},
            update_fields=["refund_amount", "shipping_refund", "refund"],
        )
        notify(
            user=case.user,
            title=_("%(amount)s is refunded for after-sales case %(number)s")
            % {"amount": due.total, "number": case.number},
            body=_(
                "The money goes back to where it came from; this takes up to a few working days."
            ),
            link=case_url(case),
        )
    return refund


def retry_refund(*, case: AfterSalesCase, actor) -> Refund | None:
    """For a person, when the automatic refund did not go through: make the case's refund
    (``refund_case``: nothing new if it exists) and, if the provider refused it before,
    submit it again (the provider pays once per refund number). Raises what
    ``refund_case`` raises, and ``ProviderError`` when the provider does not answer."""
    refund = refund_case(case=case, actor=actor)
    if refund is not None and refund.status == Refund.Status.FAILED:
        refund = payments.retry_refund(refund=refund, actor=actor)
    return refund
