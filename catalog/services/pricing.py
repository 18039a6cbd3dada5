"""Price changes: requested with a reason, approved by a second operator when large,
applied at their time, and honest about any crossed-out "was" price.

Every ``SkuPrice`` row comes from a ``PriceChange``, whose history rows record who asked,
who approved or refused and when it applied; together they are the SKU's audit trail.
The current price is always a query over ``SkuPrice`` (:func:`current_price`).

The honest reference-price rule (China's regulation on clearly marked prices): a "was"
price shown beside a reduced price may not exceed the lowest price at which the SKU was
offered, or sold, in the ``MALL_REFERENCE_PRICE_DAYS`` (7) days before the reduced price
began. It is checked when the change is requested, again when it applies, and again when
a page renders it (``catalog.selectors``).
"""

import datetime
import logging
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.approval import check_four_eyes
from mall.money import to_money
from mall.statemachine import IllegalTransition, transition

from ..exceptions import (
    CatalogError,
    DishonestReferencePrice,
    FourEyesRequired,
    PriceRefused,
    ReasonRequired,
)
from ..models import (
    PRICE_CHANGE_MACHINE,
    SKU,
    PriceChange,
    PriceChangeRecord,
    SkuCost,
    SkuPrice,
)
from . import price_ranges

logger = logging.getLogger("catalog.pricing")

# --- Sold prices: a hook for the orders app --------------------------------------------------

SoldPriceSource = Callable[[Iterable[tuple[int, datetime.datetime, datetime.datetime]]], dict]
_SOLD_PRICE_SOURCES: list[SoldPriceSource] = []


def register_sold_price_source(source: SoldPriceSource) -> SoldPriceSource:
    """Let a higher app (orders) report the prices goods were actually sold at.

    ``source`` takes ``(sku_id, since, until)`` windows and returns ``{sku_id: lowest unit
    price sold in that window}`` in one query; the reference-price rule then bounds a "was"
    price by sold prices too. The catalog never imports orders; orders registers here.
    """
    _SOLD_PRICE_SOURCES.append(source)
    return source


def lowest_sold_prices(windows: list[tuple[int, datetime.datetime, datetime.datetime]]):
    lowest: dict[int, Decimal] = {}
    for source in _SOLD_PRICE_SOURCES:
        for sku_id, amount in source(windows).items():
            if amount is not None and (sku_id not in lowest or amount < lowest[sku_id]):
                lowest[sku_id] = amount
    return lowest


# --- Reading prices -----------------------------------------------------------------------------


def current_price(sku: SKU, at=None) -> SkuPrice | None:
    at = at or timezone.now()
    return (
        SkuPrice.objects.filter(sku=sku, valid_from__lte=at)
        .exclude(valid_to__lte=at)
        .order_by("-valid_from")
        .first()
    )


def reference_window(starts_at: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    return starts_at - datetime.timedelta(days=settings.MALL_REFERENCE_PRICE_DAYS), starts_at


def offered_in(since, until) -> Q:
    """Price rows in force at some moment of ``[since, until)``, for a filter on SkuPrice."""
    return Q(valid_from__lt=until) & (Q(valid_to__isnull=True) | Q(valid_to__gt=since))


def lowest_price_before(sku: SKU, starts_at: datetime.datetime) -> Decimal | None:
    """The lowest price ``sku`` was offered or sold at in the window before ``starts_at``."""
    since, until = reference_window(starts_at)
    offered = SkuPrice.objects.filter(offered_in(since, until), sku=sku).aggregate(
        lowest=Min("amount")
    )["lowest"]
    sold = lowest_sold_prices([(sku.pk, since, until)]).get(sku.pk)
    candidates = [amount for amount in (offered, sold) if amount is not None]
    return min(candidates) if candidates else None


def check_reference_price(
    *, sku: SKU, amount: Decimal, reference: Decimal, starts_at: datetime.datetime
) -> None:
    """Raise ``DishonestReferencePrice`` (with the figures) unless ``reference`` may be
    shown crossed out beside ``amount`` from ``starts_at``."""
    since, until = reference_window(starts_at)
    lowest = lowest_price_before(sku, starts_at)
    if lowest is None or reference > lowest:
        raise DishonestReferencePrice(
            sku, reference=reference, lowest=lowest, since=since, until=until
        )


def needs_second_approval(previous: Decimal | None, amount: Decimal) -> bool:
    """A change beyond ``MALL_PRICE_APPROVAL_SHARE`` of the price in force (either way)."""
    if previous is None:
        return False  # a first price: the goods' own review covers it
    share = Decimal(settings.MALL_PRICE_APPROVAL_SHARE)
    return abs(amount - previous) > previous * share


# --- The price floor: selling below cost ----------------------------------------------------


def moving_average_cost(sku) -> Decimal | None:
    """The SKU's moving-average unit cost (``SkuCost``), None before its first receipt."""
    return SkuCost.objects.filter(sku=sku).values_list("average", flat=True).first()


def below_cost_problems(*, sku, amount, reason: str = "") -> list[str]:
    """Why selling ``sku`` at ``amount`` needs more than one operator: empty when the
    amount is at or above the SKU's moving-average cost (or it has none yet).

    The price floor of the shop for a price change (``request_price_change``): below
    cost, the change needs an explicit ``reason`` (without one the first problem says
    so, with the figures) and a second operator's approval. A flash sale cannot wait for
    one, so marketing refuses a flash price below ``moving_average_cost``. One query.
    """
    cost = moving_average_cost(sku)
    if cost is None or amount is None or to_money(amount) >= cost:
        return []
    figures = {"amount": to_money(amount), "cost": cost, "sku": sku}
    if not (reason or "").strip():
        return [
            _(
                "%(amount)s is below the moving-average cost %(cost)s of “%(sku)s”: give the "
                "reason for selling below cost; a second operator must approve it."
            )
            % figures
        ]
    return [
        _(
            "%(amount)s is below the moving-average cost %(cost)s of “%(sku)s”: a second "
            "operator must approve it."
        )
        % figures
    ]


# --- Changing prices ----------------------------------------------------------------------------


def _money(value, label) -> Decimal:
    if value is None or value == "":
        return None
    try:
        amount = to_money(value if isinstance(value, Decimal) else Decimal(str(value)))
    except (InvalidOperation, TypeError, ValueError):
        raise PriceRefused([_("%(label)s is not an amount of money.") % {"label": label}]) from None
    return amount


def _record(change: PriceChange, name: str, *, actor, reason: str, from_state: str = "") -> None:
    PriceChangeRecord.objects.create(
        subject=change,
        transition=name,
        from_state=from_state,
        to_state=change.status,
        actor=actor,
        reason=reason,
    )


@transaction.atomic
def request_price_change(
    *,
    sku: SKU,
    amount,
    actor,
    reason: str,
    reference_amount=None,
    effective_at: datetime.datetime | None = None,
    below_cost_reason: str = "",
) -> PriceChange:
    """Ask for ``sku`` to cost ``amount`` from ``effective_at`` (now when empty).

    A change beyond the approval share waits (``pending``) for a second operator, and so
    does one below the SKU's moving-average cost, which also needs ``below_cost_reason``
    (the price floor, ``below_cost_problems``); any other is ``scheduled`` and, when due
    now, applied at once. A ``reference_amount`` (the
    "was" price) must pass the honest reference-price rule for the moment the price
    begins. Raises ``ReasonRequired`` without a reason, ``PriceRefused`` listing every
    problem with the figures (non-positive price, a time in the past, a "was" price not
    above the new one, below cost without a reason) and ``DishonestReferencePrice`` with
    the figures that break it. Nothing is written when it raises.
    """
    if not reason.strip():
        raise ReasonRequired()
    amount = _money(amount, _("The price"))
    reference = _money(reference_amount, _("The “was” price"))
    now = timezone.now()
    problems = []
    if amount is None or amount <= 0:
        problems.append(_("A price must be above zero."))
    if effective_at is not None and effective_at < now - datetime.timedelta(minutes=1):
        problems.append(_("A price change cannot start in the past."))
    if reference is not None and amount is not None and reference <= amount:
        problems.append(
            _("The “was” price %(reference)s must be above the new price %(amount)s.")
            % {"reference": reference, "amount": amount}
        )
    floor = below_cost_problems(sku=sku, amount=amount, reason=below_cost_reason)
    if floor and not below_cost_reason.strip():
        problems += floor
    if problems:
        raise PriceRefused(problems)
    SKU.objects.select_for_update().get(pk=sku.pk)  # one change request per SKU at a time
    starts_at = max(effective_at or now, now)
    if reference is not None:
        check_reference_price(sku=sku, amount=amount, reference=reference, starts_at=starts_at)
    in_force = current_price(sku, at=now)
    previous = in_force.amount if in_force else None
    needs_approval = needs_second_approval(previous, amount) or bool(floor)
    change = PriceChange.objects.create(
        sku=sku,
        amount=amount,
        reference_amount=reference,
        previous_amount=previous,
        effective_at=effective_at,
        reason=reason.strip(),
        below_cost_reason=below_cost_reason.strip()[:200] if floor else "",
        cost_at_request=moving_average_cost(sku),
        needs_approval=needs_approval,
        status=PriceChange.Status.PENDING if needs_approval else PriceChange.Status.SCHEDULED,
        requested_by=actor,
    )
    _record(
        change,
        "request",
        actor=actor,
        reason="; ".join([change.reason, *(str(p) for p in floor), change.below_cost_reason])
        if floor
        else change.reason,
    )
    if not needs_approval and starts_at <= now:
        apply_price_change(change=change, actor=actor)
    return change


@transaction.atomic
def approve_price_change(*, change: PriceChange, actor, reason: str = "") -> PriceChange:
    """A second operator approves a pending change; it applies now when it is due.

    Raises ``FourEyesRequired`` when ``actor`` asked for it, ``CatalogError`` without the
    approval permission, ``IllegalTransition`` unless pending.
    """
    check_four_eyes(actor=actor, asked_by_id=change.requested_by_id, refusal=FourEyesRequired)
    if not actor.has_perm("catalog.approve_pricechange"):
        raise CatalogError(_("You may not approve price changes."))
    change.approved_by = actor
    transition(
        change,
        PRICE_CHANGE_MACHINE,
        "approve",
        history=PriceChangeRecord,
        actor=actor,
        reason=reason,
        update_fields=["approved_by"],
    )
    if change.effective_at is None or change.effective_at <= timezone.now():
        apply_price_change(change=change, actor=actor)
    return change


def reject_price_change(*, change: PriceChange, actor, reason: str) -> PriceChange:
    """A second operator refuses a pending change, saying why (``ReasonRequired``)."""
    if not reason.strip():
        raise ReasonRequired()
    check_four_eyes(actor=actor, asked_by_id=change.requested_by_id, refusal=FourEyesRequired)
    return transition(
        change,
        PRICE_CHANGE_MACHINE,
        "reject",
        history=PriceChangeRecord,
        actor=actor,
        reason=reason,
    )


def cancel_price_change(*, change: PriceChange, actor, reason: str) -> PriceChange:
    """Withdraw a pending or scheduled change before it applies (``ReasonRequired``)."""
    if not reason.strip():
        raise ReasonRequired()
    return transition(
        change,
        PRICE_CHANGE_MACHINE,
        "cancel",
        history=PriceChangeRecord,
        actor=actor,
        reason=reason,
    )


@transaction.atomic
def apply_price_change(*, change: PriceChange, now=None, actor=None) -> SkuPrice:
    """Make a scheduled change the SKU's price from ``now``: the price in force ends, the
    new row begins, both stay in the history.

    The "was" price is checked again for the real start: if prices moved since the
    request and it no longer holds, ``DishonestReferencePrice`` is raised and nothing
    changes (the scheduled job then cancels the change with those figures). Raises
    ``IllegalTransition`` unless the change is scheduled, so it applies once however
    often it is called. ``actor`` is whoever made it apply now (the requester or the
    approver); the scheduled job applies as the system.
    """
    now = now or timezone.now()
    SKU.objects.select_for_update().get(pk=change.sku_id)
    locked = PriceChange.objects.select_for_update().get(pk=change.pk)
    PRICE_CHANGE_MACHINE.check(locked, "apply")
    if change.reference_amount is not None:
        check_reference_price(
            sku=change.sku, amount=change.amount, reference=change.reference_amount, starts_at=now
        )
    SkuPrice.objects.filter(sku_id=change.sku_id, valid_to__isnull=True).update(valid_to=now)
    price = SkuPrice.objects.create(
        sku_id=change.sku_id,
        amount=change.amount,
        reference_amount=change.reference_amount,
        valid_from=now,
        set_by=change.approved_by or change.requested_by,
        change=change,
        reason=change.reason,
    )
    transition(change, PRICE_CHANGE_MACHINE, "apply", history=PriceChangeRecord, actor=actor)
    # The stored range of the goods follows in the same transaction, and their cached
    # pages are invalidated when it commits.
    price_ranges.refresh_price_ranges([change.sku.product_id], now=now)
    return price


def apply_due_price_changes(*, now=None) -> dict[str, int]:
    """Apply every scheduled change whose time has come, oldest first; returns counts.

    Each change applies in its own transaction, so one refusal does not hold back the
    others; a change refused by the reference-price rule is cancelled with its figures.
    Safe to run concurrently or twice: a change applies once.
    """
    now = now or timezone.now()
    due = (
        PriceChange.objects.filter(status=PriceChange.Status.SCHEDULED)
        .filter(Q(effective_at__lte=now) | Q(effective_at__isnull=True))
        .order_by("effective_at", "pk")
        .values_list("pk", flat=True)
    )
    counts = {"applied": 0, "cancelled": 0}
    for pk in list(due):
        change = PriceChange.objects.select_related("sku").get(pk=pk)
        try:
            with transaction.atomic():
                apply_price_change(change=change, now=now)
        except DishonestReferencePrice as refused:
            logger.warning(
                "scheduled price change cancelled: dishonest was-price",
                extra={"price_change": pk, "sku": change.sku_id, "figures": str(refused)},
            )
            try:
                transition(
                    change,
                    PRICE_CHANGE_MACHINE,
                    "cancel",
                    history=PriceChangeRecord,
                    reason=str(refused),
                )
            except IllegalTransition:
                continue
            counts["cancelled"] += 1
        except IllegalTransition:
            continue  # another run applied or someone cancelled it meanwhile
        else:
            counts["applied"] += 1
    return counts


@transaction.atomic
def set_price(*, sku: SKU, amount, actor, reason: str) -> SkuPrice:
    """Give ``sku`` a price from now, for setting up goods (the demo, imports, tests).

    It is a price change request like any other, so it is audited and a large change
    still waits for a second operator: then ``PriceRefused`` is raised and nothing is
    written. Returns the price row in force afterwards.
    """
    change = request_price_change(sku=sku, amount=amount, actor=actor, reason=reason)
    if change.status != PriceChange.Status.APPLIED:
        raise PriceRefused([_("This change needs a second operator's approval.")])
    return change.price
