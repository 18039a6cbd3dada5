"""What follows a decision or an inspection, in its own transaction: the refund, or the
exchange's replacement parcel. A refused step leaves the decision standing and says why
(``FollowUp.problem``)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from customers.services import notify
from mall.statemachine import IllegalTransition

from ...exceptions import OrderError
from ...models import AFTER_SALES_MACHINE, AfterSalesCase, Shipment
from ...providers.base import ProviderError
from .. import fulfilment
from .refunds import refund_case
from .rules import (
    INSPECT,
    FollowUp,
    Kind,
    Status,
    _locked,
    _not_for_kind,
    _require,
    _step,
    case_url,
    logger,
)


def ship_replacement(*, case: AfterSalesCase, actor) -> list[Shipment]:
    """Send the replacement of an exchange: the units received, as new shipments to pick
    (``fulfilment.create_replacement``). Returns the shipments; the case keeps the first.
    Raises ``FulfilmentError`` when stock is short (nothing written; try again later),
    ``AfterSalesError`` for a case that is not an exchange, ``PermissionDenied`` without
    ``orders.inspect_aftersalescase``, ``IllegalTransition`` unless received."""
    _require(actor, INSPECT)
    with transaction.atomic():
        order, case = _locked(case)
        if case.kind != Kind.EXCHANGE:
            raise _not_for_kind(case, "ship_replacement")
        AFTER_SALES_MACHINE.check(case, "ship_replacement")
        items = [
            (line.order_line, line.resaleable + line.written_off)
            for line in case.lines.select_related("order_line").order_by("pk")
            if line.resaleable + line.written_off
        ]
        shipments = fulfilment.create_replacement(
            order=order,
            items=items,
            actor=actor,
            note=_("Exchange for after-sales case %(number)s") % {"number": case.number},
        )
        case.replacement = shipments[0]
        _step(
            case,
            "ship_replacement",
            actor=actor,
            reason=", ".join(shipment.number for shipment in shipments),
            update_fields=["replacement"],
        )
        notify(
            user=case.user,
            title=_("The replacement for after-sales case %(number)s is being packed")
            % {"number": case.number},
            link=case_url(case),
        )
    return shipments


# --- What follows a decision ---------------------------------------------------------------


def _follow_up(case: AfterSalesCase, actor) -> FollowUp:
    """The automatic next step after an approval or an inspection, in its own
    transaction (a savepoint inside a caller's): a refused step leaves the decision as it
    is and is reported, for a person to finish."""
    try:
        if (case.kind == Kind.REFUND and case.status == Status.APPROVED) or (
            case.kind == Kind.RETURN and case.status == Status.RECEIVED
        ):
            refund_case(case=case, actor=actor)
        elif case.kind == Kind.EXCHANGE and case.status == Status.RECEIVED:
            ship_replacement(case=case, actor=actor)
    except (OrderError, IllegalTransition, PermissionDenied, ProviderError) as error:
        logger.warning(
            "after-sales step waits for a person",
            extra={"case": case.number, "status": case.status, "error": str(error)},
        )
        return FollowUp(case=case, problem=str(error) or _("not allowed"))
    case.refresh_from_db()
    return FollowUp(case=case)
