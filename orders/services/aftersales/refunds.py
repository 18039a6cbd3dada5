"""Money back for a case: what is due (one policy function, ``refund_due``) and paying it
once, through the payment's refund with the case's idempotency key and, for the part the
order paid by gift card, back to the card (``register_stored_value_refund``)."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from customers.services import notify
from mall.labels import render
from mall.money import ZERO, allocate, to_money

from ...exceptions import AfterSalesError
from ...models import AFTER_SALES_MACHINE, AfterSalesCase, AfterSalesLine, Order, Payment, Refund
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

# --- Hooks for the floors above ---------------------------------------------------------


@dataclass(frozen=True)
class Recheck:
    """A discount source's rules applied again to the units an order keeps after its
    returns: what each of its sources (``"promotion:12"``) still earns on them, and what
    keeping gifts whose threshold is no longer reached costs. ``notes`` say why, for the
    refund's reason (labels)."""

    earned: dict[str, Decimal] = field(default_factory=dict)
    gift_charge: Decimal = Decimal("0.00")
    notes: tuple = ()


RecheckHook = Callable[..., Recheck | None]
StoredValueRefundHook = Callable[..., Decimal]
FullRefundHook = Callable[..., None]
CaseRefundHook = Callable[..., None]
_case_refund_hooks: list[CaseRefundHook] = []
_recheck_hooks: list[RecheckHook] = []
_stored_value_refund_hooks: list[StoredValueRefundHook] = []
_full_refund_hooks: list[FullRefundHook] = []


def register_refund_recheck(hook: RecheckHook) -> RecheckHook:
    """Have ``hook(order=..., kept={order line pk: units})`` re-check the rules of the
    discounts it gave (thresholds, tiers, gifts) against the units the order keeps; it
    answers a ``Recheck`` (or None). A source nobody re-checks keeps its share of the kept
    units as it was allocated. A decorator; registering twice keeps one."""
    if hook not in _recheck_hooks:
        _recheck_hooks.append(hook)
    return hook


def register_stored_value_refund(hook: StoredValueRefundHook) -> StoredValueRefundHook:
    """Have ``hook(order=..., amount=..., key=..., reason=...)`` give ``amount`` back to
    the stored balances (gift cards) the order was paid with, once per ``key``, in the
    refund's transaction; it returns the amount it gave back."""
    if hook not in _stored_value_refund_hooks:
        _stored_value_refund_hooks.append(hook)
    return hook


def register_full_refund_hook(hook: FullRefundHook) -> FullRefundHook:
    """Have ``hook(order=...)`` run, in the refund's transaction, when a refund leaves
    every paid unit of the order refunded (marketing gives the coupon back when its
    template says so). It must be idempotent."""
    if hook not in _full_refund_hooks:
        _full_refund_hooks.append(hook)
    return hook


def register_case_refund_hook(hook: CaseRefundHook) -> CaseRefundHook:
    """Have ``hook(case=...)`` run in the refund's transaction once a case's refund is
    recorded (its lines carry their ``refund_amount``): marketing gives back the points
    the refunded units were bought with. It must be idempotent (keyed by the case). A
    decorator; registering twice keeps one."""
    if hook not in _case_refund_hooks:
        _case_refund_hooks.append(hook)
    return hook


# --- Money back ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundDue:
    goods: Decimal
    shipping: Decimal
    lines: dict[int, Decimal] = field(default_factory=dict)  # case line pk -> goods part
    notes: tuple = ()  # why the rules re-checked took something back (labels)

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
      all claimed units of a refund without return) at what the shopper paid for it: its
      line's total less the discounts allocated to that line when the order was placed
      (per source, to the cent), per unit. Gifts with purchase were not paid for.
    - **Rules re-checked**: the discounts' rules are applied again to the units the order
      keeps (``register_refund_recheck``: thresholds, tiers, gifts). When what is kept no
      longer earns the discount it carries (below 满199, a lower tier, a gift kept while
      its threshold is no longer reached), the difference is kept back from the refund:
      the order, after its returns, costs what the rules say it costs. Never more than
      was paid for the returned units, never below zero.
    - **Shipping**: when the goods were at fault (quality, damaged, wrong item, not as
      described, parts missing) the seller pays: the shipping fee the shopper paid is
      refunded in proportion to the goods' share of the order (at unit prices), and the
      return parcel is sent freight collect at the shop's cost. A return without a reason
      refunds no shipping, and its postage back is the shopper's.
    - **Never more than was paid**: amounts are cumulative over the order's refunded
      cases, rounded once (``to_money``) on the running total and differenced against
      what earlier cases were refunded, so the cases of one order add up to at most goods
      paid + shipping paid, to the cent, in whatever parts they come.

    Exchanges and repairs refund nothing. Reads the order's earlier refunded cases; the
    caller holds the order's row lock (``refund_case`` does).
    """
    order = case.order
    lines = list(case.lines.select_related("order_line").order_by("pk"))
    if case.kind not in MONEY_BACK:
        return RefundDue(ZERO, ZERO, {line.pk: ZERO for line in lines})
    order_lines = {
        line.pk: line for line in order.lines.prefetch_related("discounts").order_by("pk")
    }
    earlier = (
        AfterSalesLine.objects.filter(case__order=order, case__refund_amount__isnull=False)
        .exclude(case=case)
        .select_related("case", "order_line")
    )
    returned: Counter[int] = Counter()
    before_fault = Decimal(0)
    for line in earlier:
        units = refund_units(line, line.case.kind)
        returned[line.order_line_id] += units
        if line.case.reason in FAULT_REASONS:
            before_fault += line.order_line.unit_price * units
    refunded_before = (
        AfterSalesCase.objects.filter(order=order, refund_amount__isnull=False)
        .exclude(pk=case.pk)
        .aggregate(goods=Sum("refund_amount"))["goods"]
        or ZERO
    )
    this_units = {line.pk: refund_units(line, case.kind) for line in lines}
    after = returned.copy()
    for line in lines:
        after[line.order_line_id] += this_units[line.pk]

    def paid(order_line, units):  # what the shopper paid for ``units``, not yet rounded
        return order_line.paid_total * units / order_line.quantity

    paid_returned = sum((paid(ol, after[pk]) for pk, ol in order_lines.items()), Decimal(0))
    paid_all = sum((ol.paid_total for ol in order_lines.values()), Decimal(0))
    kept = {pk: ol.quantity - after[pk] for pk, ol in order_lines.items()}
    kept_cost, notes = _kept_cost(order, order_lines, kept)
    running = min(paid_returned, max(Decimal(0), paid_all - kept_cost))
    goods = max(ZERO, to_money(running) - refunded_before)

    shipping = ZERO
    shipping_paid = order.shipping_fee - order.shipping_discount
    this_value = sum(
        (line.order_line.unit_price * this_units[line.pk] for line in lines), Decimal(0)
    )
    if case.reason in FAULT_REASONS and shipping_paid > 0 and order.goods_total > 0:
        shipping = to_money(
            shipping_paid * (before_fault + this_value) / order.goods_total
        ) - to_money(shipping_paid * before_fault / order.goods_total)
    # The goods part by line (for the report), in proportion to what each line paid.
    weights = [paid(line.order_line, this_units[line.pk]) for line in lines]
    parts = allocate(goods, weights) if lines else []
    by_line = {line.pk: part for line, part in zip(lines, parts, strict=True)}
    return RefundDue(goods=goods, shipping=shipping, lines=by_line, notes=tuple(notes))


def _kept_cost(order, order_lines, kept) -> tuple[Decimal, list]:
    """What the units the order keeps cost by its rules: their value at unit prices less
    the discounts they still earn (each source as re-checked, else its allocated share of
    them), plus what keeping gifts costs when their threshold is no longer reached."""
    value = Decimal(0)
    earned: dict[str, Decimal] = {}
    for pk, line in order_lines.items():
        units = kept.get(pk, 0)
        value += line.unit_price * units
        for part in line.discounts.all():
            earned[part.source] = earned.get(part.source, 0) + part.amount * units / line.quantity
    gift_charge, notes = Decimal(0), []
    for hook in _recheck_hooks:
        answer = hook(order=order, kept=dict(kept))
        if answer is None:
            continue
        earned.update(answer.earned)
        gift_charge += answer.gift_charge
        notes.extend(answer.notes)
    return value - sum(earned.values(), Decimal(0)) + gift_charge, notes


def _stored_value_share(order: Order, case: AfterSalesCase, total: Decimal) -> Decimal:
    """The part of a case's refund that goes back to gift cards: the order's refunds
    (cumulative, goods and shipping) in the proportion the order was paid by them,
    rounded on the running total so the cases add up to the cent."""
    if order.stored_value_paid <= 0 or order.total <= 0 or total <= 0:
        return ZERO
    before = (
        AfterSalesCase.objects.filter(order=order, refund_amount__isnull=False)
        .exclude(pk=case.pk)
        .aggregate(
            refunded=Sum(F("refund_amount") + F("shipping_refund")),
            stored=Sum("stored_value_refund"),
        )
    )
    refunded, stored = before["refunded"] or ZERO, before["stored"] or ZERO
    target = to_money((refunded + total) * order.stored_value_paid / order.total)
    return max(ZERO, min(target - stored, total, order.stored_value_paid - stored))


def _fully_refunded(order: Order) -> bool:
    """Every paid unit of ``order`` is refunded (gifts aside)."""
    refunded: Counter[int] = Counter()
    for line in AfterSalesLine.objects.filter(
        case__order=order, case__refund_amount__isnull=False
    ).select_related("case"):
        refunded[line.order_line_id] += refund_units(line, line.case.kind)
    return all(refunded[line.pk] >= line.quantity for line in order.lines.all() if not line.is_gift)


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
        stored = _stored_value_share(order, case, due.total)
        to_provider = due.total - stored
        reason = _("After-sales case %(number)s: goods %(goods)s, shipping %(shipping)s") % {
            "number": case.number,
            "goods": due.goods,
            "shipping": due.shipping,
        }
        refund = None
        if to_provider > 0:
            payment = order.payments.filter(status=Payment.Status.SUCCEEDED).first()
            if payment is None:
                raise AfterSalesError(
                    _("Order %(order)s has no payment to refund.") % {"order": order.number}
                )
            refund = payments.refund(
                payment=payment,
                amount=to_provider,
                reason=reason,
                idempotency_key=refund_key(case),
                actor=actor,
            )
        if stored > 0:
            for hook in _stored_value_refund_hooks:
                hook(order=order, amount=stored, key=refund_key(case), reason=reason)
        for line_pk, amount in due.lines.items():
            AfterSalesLine.objects.filter(pk=line_pk).update(refund_amount=amount)
        case.refund_amount = due.goods
        case.shipping_refund = due.shipping
        case.stored_value_refund = stored
        case.refund = refund
        said = _("%(total)s refunded: goods %(goods)s, shipping %(shipping)s") % {
            "total": due.total,
            "goods": due.goods,
            "shipping": due.shipping,
        }
        if stored:
            said += " " + _("(%(amount)s of it to gift cards)") % {"amount": stored}
        for note in due.notes:
            said += " " + render(note)
        _step(
            case,
            "refund",
            actor=actor,
            reason=said,
            update_fields=["refund_amount", "shipping_refund", "stored_value_refund", "refund"],
        )
        for hook in _case_refund_hooks:
            hook(case=case)
        if _fully_refunded(order):
            for hook in _full_refund_hooks:
                hook(order=order)
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
