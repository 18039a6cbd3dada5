"""Stocktakes (盘点): open a count, record what is on the shelves, approve and post.

A count's lines are fixed when it opens; ``expected`` is refreshed to the book ``on_hand``
each time a count is entered, so goods sold or received during an unfrozen count are not
mistaken for variances. Approval posts each variance through
``catalog.services.inventory.book_movement`` (the one way ``on_hand`` changes), so the
ledger keeps summing to ``on_hand``. Every status change goes through
``mall.statemachine.transition`` and leaves a ``StocktakeStatusChange`` row.
"""

from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, Value, When
from django.db.models.functions import Random
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.statemachine import transition

from ..exceptions import CatalogError, InsufficientStock
from ..models import (
    STOCKTAKE_MACHINE,
    Category,
    Stock,
    StockMovement,
    Stocktake,
    StocktakeLine,
    StocktakeStatusChange,
    Warehouse,
)
from . import inventory

ONE_ACTIVE_CONSTRAINT = "stocktake_one_active_per_warehouse"


# --- Refusals --------------------------------------------------------------------------------
# Kept beside the services that raise them; they are ``CatalogError``s, so the admin actions
# and pages report them like every other refusal of the catalog.


class StocktakeRefused(CatalogError):
    """A stocktake action that cannot be done as asked; the message says why."""


class CountAlreadyActive(StocktakeRefused):
    def __init__(self, warehouse: Warehouse, active: Stocktake | None):
        self.warehouse = warehouse
        self.active = active
        super().__init__(
            _(
                "%(warehouse)s already has a count in progress (number %(number)s): finish or "
                "cancel it first."
            )
            % {"warehouse": warehouse, "number": active.pk if active else "?"}
        )


class UncountedLines(StocktakeRefused):
    def __init__(self, stocktake: Stocktake, uncounted: int):
        self.stocktake = stocktake
        self.uncounted = uncounted
        super().__init__(
            _("%(count)d line(s) of this count have no counted quantity yet.")
            % {"count": uncounted}
        )


class ApprovalNotAllowed(StocktakeRefused):
    """The actor may not approve this count (no permission, or counted it themselves)."""


class LossIntoReserved(StocktakeRefused):
    """A loss would leave fewer units on hand than are reserved for orders."""

    def __init__(self, line: StocktakeLine, error: InsufficientStock):
        self.line = line
        self.sku = error.sku
        super().__init__(
            _(
                "The loss of %(units)d unit(s) of “%(sku)s” would cut into units reserved for "
                "orders: nothing was posted. Recount it, or settle those orders first."
            )
            % {"units": -line.variance, "sku": error.sku}
        )


# --- Opening ---------------------------------------------------------------------------------


def _category_and_below(category: Category) -> set[int]:
    """``category`` and every subcategory at any depth, shown on the storefront or not
    (a hidden category's goods are still on the shelves). Categories are few: one query."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, pending = set(), [category.pk]
    while pending:
        current = pending.pop()
        if current not in found:  # a cycle stops here rather than looping
            found.add(current)
            pending.extend(children.get(current, []))
    return found


def _scope_problems(scope, category, sample_size) -> list[str]:
    problems = []
    if scope not in Stocktake.Scope.values:
        return [_("Choose what to count: all goods, one category or a random sample.")]
    if scope == Stocktake.Scope.CATEGORY and category is None:
        problems.append(_("Choose the category to count."))
    if scope != Stocktake.Scope.CATEGORY and category is not None:
        problems.append(_("A category is only chosen when counting one category."))
    if scope == Stocktake.Scope.SAMPLE:
        if isinstance(sample_size, bool) or not isinstance(sample_size, int) or sample_size < 1:
            problems.append(_("Give the number of stock rows to sample (at least one)."))
    elif sample_size is not None:
        problems.append(_("A sample size is only given for a random sample."))
    return problems


def _stock_to_count(warehouse, scope, category, sample_size):
    rows = Stock.objects.filter(warehouse=warehouse)
    if scope == Stocktake.Scope.CATEGORY:
        rows = rows.filter(sku__product__category__in=_category_and_below(category))
    if scope == Stocktake.Scope.SAMPLE:
        # Rows with goods first: counting empty shelves finds little; random among equals.
        with_goods_first = Case(
            When(on_hand__gt=0, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        rows = rows.order_by(with_goods_first, Random())[:sample_size]
    return list(rows.values_list("pk", "on_hand"))


@transaction.atomic
def open_stocktake(
    *,
    warehouse: Warehouse,
    scope: str,
    actor,
    category: Category | None = None,
    sample_size: int | None = None,
    freeze: bool = False,
    note: str = "",
) -> Stocktake:
    """Open a count of ``warehouse``: one line per stock row in scope (every row for
    ``all``, the rows of ``category`` and its subcategories, or ``sample_size`` random
    rows, stocked ones first), each expecting the ``on_hand`` of now. With ``freeze``
    the counted rows are frozen in one UPDATE, so they cannot be reserved (sold) until
    the count is approved or cancelled. Writes an "open" history row.

    Raises ``StocktakeRefused`` for an inactive warehouse, scope arguments that do not
    fit the scope, or nothing to count; ``CountAlreadyActive`` when the warehouse has a
    count in progress (the database's partial unique constraint decides, so two
    operators opening at once cannot both succeed). Nothing is written when it raises.
    """
    if not warehouse.is_active:
        raise StocktakeRefused(
            _("%(warehouse)s is not active: there is nothing to count.") % {"warehouse": warehouse}
        )
    problems = _scope_problems(scope, category, sample_size)
    if problems:
        raise StocktakeRefused("; ".join(str(problem) for problem in problems))
    rows = _stock_to_count(warehouse, scope, category, sample_size)
    if not rows:
        raise StocktakeRefused(_("Nothing to count: no stock of these goods in this warehouse."))
    now = timezone.now()
    try:
        with transaction.atomic():
            stocktake = Stocktake.objects.create(
                warehouse=warehouse,
                scope=scope,
                category=category,
                sample_size=sample_size,
                freeze=freeze,
                note=note,
                opened_by=actor,
                opened_at=now,
                status_changed_at=now,
            )
    except IntegrityError as error:
        if ONE_ACTIVE_CONSTRAINT not in str(error):
            raise
        active = Stocktake.objects.filter(warehouse=warehouse, status__in=Stocktake.ACTIVE).first()
        raise CountAlreadyActive(warehouse, active) from error
    StocktakeLine.objects.bulk_create(
        StocktakeLine(stocktake=stocktake, stock_id=stock_id, expected=on_hand)
        for stock_id, on_hand in rows
    )
    if freeze:
        Stock.objects.filter(pk__in=[stock_id for stock_id, _on_hand in rows]).update(frozen=True)
    StocktakeStatusChange.objects.create(
        subject=stocktake,
        transition="open",
        from_state="",
        to_state=Stocktake.Status.COUNTING,
        actor=actor,
        at=now,
    )
    return stocktake


def open_cycle_count(*, warehouse: Warehouse, stock_ids: list[int], note: str = ""):
    """Open a scheduled cycle count of ``warehouse`` for the stock rows ``stock_ids``
    (``counting.schedule_cycle_counts`` chose them), opened by nobody (the job), not
    frozen. Returns the stocktake, or None when the warehouse has a count in progress
    (the partial unique constraint decides; nothing is written then)."""
    now = timezone.now()
    try:
        with transaction.atomic():
            stocktake = Stocktake.objects.create(
                warehouse=warehouse,
                scope=Stocktake.Scope.CYCLE,
                note=note[:200],
                opened_by=None,
                opened_at=now,
                status_changed_at=now,
            )
            rows = Stock.objects.filter(pk__in=stock_ids, warehouse=warehouse).order_by("pk")
            StocktakeLine.objects.bulk_create(
                StocktakeLine(stocktake=stocktake, stock_id=stock_id, expected=on_hand)
                for stock_id, on_hand in rows.values_list("pk", "on_hand")
            )
            StocktakeStatusChange.objects.create(
                subject=stocktake,
                transition="open",
                from_state="",
                to_state=Stocktake.Status.COUNTING,
                reason=note,
                at=now,
            )
    except IntegrityError as error:
        if ONE_ACTIVE_CONSTRAINT not in str(error):
            raise
        return None
    return stocktake


# --- Counting --------------------------------------------------------------------------------


def _counting(stocktake_id: int) -> Stocktake:
    """The stocktake, locked, if it is being counted. The lock keeps a count from landing
    after a concurrent submit has checked that every line is counted."""
    stocktake = Stocktake.objects.select_for_update().get(pk=stocktake_id)
    if stocktake.status != Stocktake.Status.COUNTING:
        raise StocktakeRefused(
            _("Counts can only be entered while counting; this count is “%(status)s”.")
            % {"status": stocktake.get_status_display()}
        )
    return stocktake


@transaction.atomic
def record_count(*, line: StocktakeLine, counted: int, actor) -> StocktakeLine:
    """Record ``counted`` (an int >= 0) units for ``line``, by ``actor``, now. Entering a
    line again overwrites it. ``expected`` becomes the stock's ``on_hand`` at this moment,
    so sales and receipts before the count are not variances.

    Raises ``StocktakeRefused`` for a count that is not a whole number >= 0, or when the
    stocktake is not counting (submitted, approved, cancelled).
    """
    if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
        raise StocktakeRefused(_("A counted quantity is a whole number, 0 or more."))
    _counting(line.stocktake_id)
    line.expected = Stock.objects.values_list("on_hand", flat=True).get(pk=line.stock_id)
    line.counted = counted
    line.counted_by = actor
    line.counted_at = timezone.now()
    line.save(update_fields=["expected", "counted", "counted_by", "counted_at"])
    return line


# --- Transitions -----------------------------------------------------------------------------


def _unfreeze(stocktake: Stocktake) -> None:
    if stocktake.freeze:
        Stock.objects.filter(pk__in=stocktake.lines.values("stock_id"), frozen=True).update(
            frozen=False
        )


def _locked(stocktake: Stocktake, name: str) -> Stocktake:
    """Lock the row and check ``name`` is allowed now, before any other check or write."""
    locked = Stocktake.objects.select_for_update().get(pk=stocktake.pk)
    STOCKTAKE_MACHINE.check(locked, name)
    return locked


def _reason_given(reason: str) -> str:
    if not (reason or "").strip():
        raise StocktakeRefused(_("Give a reason: it is recorded in the count's history."))
    return reason.strip()


@transaction.atomic
def submit_stocktake(*, stocktake: Stocktake, actor) -> Stocktake:
    """Hand a fully counted stocktake over for approval (counting → submitted).

    Raises ``UncountedLines`` (with how many) while any line has no count, and
    ``IllegalTransition`` unless it is counting.
    """
    _locked(stocktake, "submit")
    uncounted = stocktake.lines.filter(counted__isnull=True).count()
    if uncounted:
        raise UncountedLines(stocktake, uncounted)
    return transition(
        stocktake, STOCKTAKE_MACHINE, "submit", history=StocktakeStatusChange, actor=actor
    )


@transaction.atomic
def send_back_for_recount(*, stocktake: Stocktake, actor, reason: str) -> Stocktake:
    """Send a submitted count back to the counters (submitted → counting); the counts
    entered so far stay and can be overwritten. Raises ``StocktakeRefused`` without a
    reason, ``IllegalTransition`` unless submitted."""
    reason = _reason_given(reason)
    _locked(stocktake, "recount")
    return transition(
        stocktake,
        STOCKTAKE_MACHINE,
        "recount",
        history=StocktakeStatusChange,
        actor=actor,
        reason=reason,
    )


@transaction.atomic
def approve_stocktake(*, stocktake: Stocktake, actor) -> Stocktake:
    """Approve a submitted count and post its variances (submitted → approved).

    Each line with a variance books one ``stocktake_gain`` or ``stocktake_loss`` movement
    (reference "stocktake <pk>") for ``counted - expected``, in stock-row order; the counted
    rows are unfrozen and ``approved_by`` is set. All or nothing: a loss that would take
    ``on_hand`` below the units reserved for orders raises ``LossIntoReserved`` naming the
    SKU, and nothing is posted.

    Raises ``ApprovalNotAllowed`` when ``actor`` lacks ``catalog.approve_stocktake`` or
    counted a line of this stocktake (who counts does not approve), ``IllegalTransition``
    unless submitted.
    """
    if actor is None or not actor.has_perm("catalog.approve_stocktake"):
        raise ApprovalNotAllowed(_("You are not allowed to approve stocktakes."))
    _locked(stocktake, "approve")
    if stocktake.lines.filter(counted_by=actor).exists():
        raise ApprovalNotAllowed(
            _("You counted goods in this stocktake, so another manager must approve it.")
        )
    reference = f"stocktake {stocktake.pk}"
    lines = (
        stocktake.lines.filter(counted__isnull=False)
        .select_related("stock__sku__product")
        .order_by("stock_id")
    )
    for line in lines:
        variance = line.variance
        if not variance:
            continue
        kind = (
            StockMovement.Kind.STOCKTAKE_GAIN if variance > 0 else StockMovement.Kind.STOCKTAKE_LOSS
        )
        try:
            inventory.book_movement(
                stock=line.stock, kind=kind, quantity=variance, actor=actor, reference=reference
            )
        except InsufficientStock as error:
            raise LossIntoReserved(line, error) from error
    _unfreeze(stocktake)
    stocktake.approved_by = actor
    return transition(
        stocktake,
        STOCKTAKE_MACHINE,
        "approve",
        history=StocktakeStatusChange,
        actor=actor,
        update_fields=["approved_by"],
    )


@transaction.atomic
def cancel_stocktake(*, stocktake: Stocktake, actor, reason: str) -> Stocktake:
    """Abandon a count without posting anything (counting or submitted → cancelled) and
    unfreeze its rows. Raises ``StocktakeRefused`` without a reason, ``IllegalTransition``
    once approved or cancelled."""
    reason = _reason_given(reason)
    _locked(stocktake, "cancel")
    _unfreeze(stocktake)
    return transition(
        stocktake,
        STOCKTAKE_MACHINE,
        "cancel",
        history=StocktakeStatusChange,
        actor=actor,
        reason=reason,
    )
