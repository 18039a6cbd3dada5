"""Operators schedule flash sales (every problem listed at once; one sale per SKU at a
time, by an exclusion constraint), end them early or call them off."""

import logging
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from catalog.services.pricing import moving_average_cost
from mall.money import to_money

from ...exceptions import FlashSaleInvalid
from ...models import FlashSale
from ..flash_gate import forget_sale
from . import offers

logger = logging.getLogger("marketing.flashsales")


OVERLAP_CONSTRAINT = "flash_sale_no_overlap"


# --- Scheduling ------------------------------------------------------------------------------


def _as_price(value) -> Decimal | None:
    try:
        return to_money(value)
    except (InvalidOperation, TypeError, ValueError):
        return None


def sale_problems(
    *,
    sku,
    price,
    quantity: int,
    per_shopper_limit: int,
    starts_at,
    ends_at,
) -> list[str]:
    """Every reason a sale of ``sku`` as described cannot be scheduled (empty when it can):
    the goods must be on sale with a current price; the flash price above zero and below
    that price; at least one unit, a limit of at least one and at most the units; an end
    after the start and in the future; no other sale of the SKU overlapping the times;
    free stock for every unit now; and the flash price not below the SKU's moving-average
    cost (the price floor: selling below cost needs a reason and a second operator, which
    a sale scheduled on the spot cannot have, so it goes through a price change). Four
    queries."""
    now = timezone.now()
    problems = []
    amount = _as_price(price)
    if amount is None or amount <= 0:
        problems.append(_("The flash price must be above zero."))
    if quantity is None or int(quantity) < 1:
        problems.append(_("Offer at least one unit."))
    if per_shopper_limit is None or int(per_shopper_limit) < 1:
        problems.append(_("The limit per shopper must be at least one."))
    elif quantity and int(per_shopper_limit) > int(quantity):
        problems.append(_("The limit per shopper cannot be more than the units offered."))
    if starts_at is None or ends_at is None:
        problems.append(_("Give the start and the end of the sale."))
    elif ends_at <= starts_at:
        problems.append(_("The sale must end after it starts."))
    elif ends_at <= now:
        problems.append(_("The sale must end in the future."))
    if sku is None:
        problems.append(_("Choose the SKU on sale."))
        return problems
    current = catalog_selectors.skus_to_order([sku.pk]).get(sku.pk)
    if current is None or not current.on_sale or current.price is None:
        problems.append(_("“%(sku)s” is not on sale: list it with a price first.") % {"sku": sku})
    else:
        if amount is not None and amount > 0 and amount >= current.price:
            problems.append(
                _("The flash price must be below the current price %(price)s.")
                % {"price": current.price}
            )
        cost = moving_average_cost(sku)
        if amount is not None and amount > 0 and cost is not None and amount < cost:
            problems.append(
                _(
                    "The flash price %(price)s is below the moving-average cost %(cost)s of "
                    "“%(sku)s”. Selling below cost needs a reason and a second operator: ask "
                    "for a price change instead."
                )
                % {"price": amount, "cost": cost, "sku": sku}
            )
        if quantity and int(quantity) > current.available:
            problems.append(
                _("Only %(available)s unit(s) of “%(sku)s” are free in stock for %(quantity)s.")
                % {"available": max(current.available, 0), "sku": sku, "quantity": quantity}
            )
    if starts_at is not None and ends_at is not None and ends_at > starts_at:
        other = (
            FlashSale.objects.filter(sku=sku, starts_at__lt=ends_at, ends_at__gt=starts_at)
            .order_by("starts_at")
            .first()
        )
        if other is not None:
            problems.append(_overlap_message(other))
    return problems


def _overlap_message(other: FlashSale | None = None) -> str:
    if other is None:
        return _("Another flash sale of this SKU overlaps these times.")
    return _("Another flash sale of this SKU runs from %(start)s to %(end)s.") % {
        "start": date_format(timezone.localtime(other.starts_at), "Y-m-d H:i"),
        "end": date_format(timezone.localtime(other.ends_at), "Y-m-d H:i"),
    }


def _constraint(error: IntegrityError) -> str:
    return getattr(getattr(error.__cause__, "diag", None), "constraint_name", "") or ""


def schedule_sale(
    *,
    sku,
    price,
    quantity: int,
    per_shopper_limit: int,
    starts_at,
    ends_at,
    actor,
    campaign=None,
) -> FlashSale:
    """Schedule a flash sale of ``sku``: ``quantity`` units at ``price`` from ``starts_at``
    to ``ends_at``, at most ``per_shopper_limit`` per shopper. Checks everything
    ``sale_problems`` lists; the exclusion constraint refuses an overlapping sale that an
    operator scheduled at the same moment. The stock is checked, not reserved: each order
    reserves its units as usual.

    Raises ``FlashSaleInvalid`` with every problem; nothing is written then.
    """
    problems = sale_problems(
        sku=sku,
        price=price,
        quantity=quantity,
        per_shopper_limit=per_shopper_limit,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    if problems:
        raise FlashSaleInvalid(problems)
    try:
        with transaction.atomic():
            sale = FlashSale.objects.create(
                sku=sku,
                price=to_money(price),
                quantity=int(quantity),
                per_shopper_limit=int(per_shopper_limit),
                starts_at=starts_at,
                ends_at=ends_at,
                created_by=actor,
                campaign=campaign,
            )
        offers.refresh(sale.sku_id)
    except IntegrityError as error:
        if _constraint(error) == OVERLAP_CONSTRAINT:
            raise FlashSaleInvalid([_overlap_message()]) from None
        raise
    logger.info(
        "flash sale scheduled",
        extra={
            "flash_sale": sale.pk,
            "sku": sku.pk,
            "quantity": sale.quantity,
            "actor": _id(actor),
        },
    )
    return sale


@transaction.atomic
def end_sale(*, sale: FlashSale, actor, now=None) -> FlashSale:
    """End a live sale now: no attempt passes afterwards (the database step checks the
    times too). Orders already placed stay. Raises ``FlashSaleInvalid`` unless it is live."""
    now = now or timezone.now()
    ended = FlashSale.objects.filter(pk=sale.pk, starts_at__lte=now, ends_at__gt=now).update(
        ends_at=now
    )
    if not ended:
        raise FlashSaleInvalid([_("Only a live sale can be ended; an upcoming one is called off.")])
    transaction.on_commit(lambda: forget_sale(sale.pk))  # attempts read the new end
    sale.refresh_from_db()
    offers.refresh(sale.sku_id)
    logger.info("flash sale ended early", extra={"flash_sale": sale.pk, "actor": _id(actor)})
    return sale


@transaction.atomic
def call_off_sale(*, sale: FlashSale, actor, now=None) -> None:
    """Delete a sale that has not started (nobody can hold a claim on it yet). Raises
    ``FlashSaleInvalid`` once it has started: a started sale is ended, never deleted."""
    now = now or timezone.now()
    deleted, _rows = FlashSale.objects.filter(pk=sale.pk, starts_at__gt=now, sold=0).delete()
    if not deleted:
        raise FlashSaleInvalid([_("A sale that has started cannot be called off: end it.")])
    sale_id = sale.pk
    transaction.on_commit(lambda: forget_sale(sale_id))
    offers.refresh(sale.sku_id)
    logger.info("flash sale called off", extra={"flash_sale": sale.pk, "actor": _id(actor)})


def _id(user):
    return getattr(user, "pk", None)
