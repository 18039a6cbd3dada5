"""Support decides a case: approve (with the return instructions), reject with a reason,
close; what follows an approval runs at once (``outcomes``)."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from customers.services import notify

from ...exceptions import AfterSalesError
from ...models import AfterSalesCase
from .outcomes import _follow_up
from .rules import (
    DECIDE,
    FAULT_REASONS,
    GOODS_COME_BACK,
    INSPECT,
    FollowUp,
    _locked,
    _require,
    _step,
    case_url,
)

# --- Support decides -----------------------------------------------------------------------


def return_instructions(case: AfterSalesCase) -> str:
    """What the shopper does after approval: where to send the goods and who pays the
    postage (the seller when the goods were at fault: send freight collect)."""
    if case.kind not in GOODS_COME_BACK:
        return _("No need to send anything back: the refund is on its way.")
    if case.reason in FAULT_REASONS:
        postage = _(
            "The goods were at fault, so we pay the postage: send them freight collect (到付)."
        )
    else:
        postage = _(
            "A return without a reason is sent at your own cost; please do not send it freight "
            "collect."
        )
    return _(
        "Please send the goods, with all parts and the packaging, to: %(address)s. "
        "Write the case number %(number)s on the parcel. %(postage)s "
        "Then enter the carrier and tracking number on the case page."
    ) % {"address": settings.MALL_RETURN_ADDRESS, "number": case.number, "postage": postage}


def approve_case(*, case: AfterSalesCase, actor, note: str = "") -> FollowUp:
    """Support approves a requested case (``note`` optional, on the timeline) and tells
    the shopper what to do next. A refund without return is refunded right after (its
    own transaction: if the refund is refused, the approval stands and
    ``FollowUp.problem`` says why). Raises ``PermissionDenied`` without
    ``orders.decide_aftersalescase`` and ``IllegalTransition`` unless requested."""
    _require(actor, DECIDE)
    with transaction.atomic():
        _order, case = _locked(case)
        _step(case, "approve", actor=actor, reason=note.strip())
        notify(
            user=case.user,
            title=_("After-sales case %(number)s is approved") % {"number": case.number},
            body=return_instructions(case),
            link=case_url(case),
        )
    return _follow_up(case, actor)


def reject_case(*, case: AfterSalesCase, actor, reason: str) -> AfterSalesCase:
    """Support rejects a requested case; the reason is required, recorded on the
    timeline and sent to the shopper. Raises ``AfterSalesError`` without a reason,
    ``PermissionDenied`` without ``orders.decide_aftersalescase``, ``IllegalTransition``
    unless requested."""
    _require(actor, DECIDE)
    if not reason.strip():
        raise AfterSalesError(_("Say why the request is rejected: the shopper reads it."))
    with transaction.atomic():
        _order, case = _locked(case)
        _step(case, "reject", actor=actor, reason=reason.strip())
        notify(
            user=case.user,
            title=_("After-sales case %(number)s is rejected") % {"number": case.number},
            body=reason.strip(),
            link=case_url(case),
        )
    return case


def close_case(*, case: AfterSalesCase, actor, reason: str = "") -> AfterSalesCase:
    """Close a case that is done (rejected, refunded, replacement shipped, repaired).
    Support staff or the warehouse; raises ``PermissionDenied`` for anyone else,
    ``IllegalTransition`` from any other state."""
    if actor is None or not (actor.has_perm(DECIDE) or actor.has_perm(INSPECT)):
        raise PermissionDenied
    with transaction.atomic():
        _order, case = _locked(case)
        _step(case, "close", actor=actor, reason=reason.strip())
    return case
