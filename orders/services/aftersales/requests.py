"""The shopper's side of a case: asking (within the windows, for units still claimable,
with photos), withdrawing, sending the goods back with a tracking number."""

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.services import media
from mall.numbers import new_number
from mall.storage import MediaUnavailable

from ...exceptions import AfterSalesError, AfterSalesRefused
from ...models import (
    AFTER_SALES_MACHINE,
    AfterSalesCase,
    AfterSalesLine,
    AfterSalesPhoto,
    AfterSalesStatusChange,
    Order,
    OrderLine,
)
from .rules import (
    CLAIMABLE_ORDERS,
    FAULT_REASONS,
    GOODS_COME_BACK,
    MAX_PHOTOS,
    RETURN_CARRIERS,
    TRACKING_NUMBER,
    Kind,
    Reason,
    _locked,
    _require_shopper,
    _step,
    carrier_label,
    claim_deadline,
    claimable_units,
    window_days,
)

# --- The shopper asks ----------------------------------------------------------------------


def _window_problem(order, kind, reason, today) -> str | None:
    deadline = claim_deadline(order, kind=kind, reason=reason)
    if deadline is None or today <= deadline:
        return None
    days = window_days(kind=kind, reason=reason)
    if kind == Kind.REPAIR:
        what = _("The %(days)s-day warranty of this order ended on %(date)s.")
    elif reason == Reason.NO_REASON:
        what = _(
            "Returns without a reason are possible for %(days)s days after delivery: until "
            "%(date)s."
        )
    else:
        what = _(
            "Claims for faulty goods are possible for %(days)s days after delivery: until %(date)s."
        )
    return what % {"days": days, "date": deadline.isoformat()}


def request_case(
    *,
    order: Order,
    actor,
    kind: str,
    reason: str,
    lines: Iterable[tuple[OrderLine | int, int]],
    description: str = "",
    photos: Iterable = (),
    now: datetime.datetime | None = None,
) -> AfterSalesCase:
    """The shopper of ``order`` asks for ``kind`` (return, exchange, refund without
    return, repair) for ``reason`` about ``lines`` (``(order line or its pk, units)``;
    lines with 0 units are left out), with a description and photos (uploads: re-encoded
    as JPEG, EXIF dropped, at most ``MAX_PHOTOS``). Returns the case, ``requested``.

    Refuses with ``AfterSalesRefused`` listing every problem at once: the order is not
    delivered; the window for the kind and reason has ended (``claim_deadline``); a
    return without a reason of goods excluded from it (the product's after-sales terms
    say why); a kind other than a return without a fault reason; no units, units of
    another order or more units than are left to claim (``claimable_units``, counted
    under the order's row lock, so two requests at once cannot over-claim); no photo for
    a fault; a photo that is not an image or too large. Writes nothing then. Raises
    ``PermissionDenied`` unless ``actor`` is the order's shopper.
    """
    _require_shopper(actor, order)
    today = timezone.localdate(now or timezone.now())
    photos = list(photos)
    processed, photo_problems = media.process_photos(photos, limit=MAX_PHOTOS)
    problems = list(photo_problems)
    description = description.strip()
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status not in CLAIMABLE_ORDERS or order.delivered_at is None:
            raise AfterSalesRefused(
                [_("After-sales requests are possible once the order has been delivered.")]
            )
        if kind not in Kind.values:
            problems.append(
                _("Choose what you would like: a return, an exchange, a refund or a repair.")
            )
        if reason not in Reason.values:
            problems.append(_("Choose the reason."))
        if kind in Kind.values and reason in Reason.values:
            if reason == Reason.NO_REASON and kind != Kind.RETURN:
                problems.append(
                    _(
                        "Without a fault only a return is possible; exchanges, refunds without "
                        "return and repairs are for faulty goods."
                    )
                )
            else:
                window = _window_problem(order, kind, reason, today)
                if window:
                    problems.append(window)
        order_lines = {line.pk: line for line in order.lines.select_related("sku__product")}
        wanted: dict[int, int] = {}
        for line, units in lines:
            line_pk = line if isinstance(line, int) else line.pk
            if line_pk not in order_lines:
                problems.append(_("Choose items of this order only."))
                continue
            if units:
                wanted[line_pk] = wanted.get(line_pk, 0) + units
        if not wanted:
            problems.append(_("Choose at least one item and how many units."))
        left = claimable_units(order)
        for line_pk, units in wanted.items():
            line = order_lines[line_pk]
            if units < 0 or units > left[line_pk]:
                problems.append(
                    _(
                        "%(item)s: you can ask about at most %(left)s of the %(bought)s units "
                        "bought."
                    )
                    % {"item": line.product_name, "left": left[line_pk], "bought": line.quantity}
                )
            if reason == Reason.NO_REASON and not line.sku.product.no_reason_return:
                terms = line.sku.product.after_sales_terms.strip() or _(
                    "goods such as fresh food and custom-made goods are excluded by law"
                )
                problems.append(
                    _("%(item)s cannot be returned without a reason: %(terms)s")
                    % {"item": line.product_name, "terms": terms}
                )
        if reason in FAULT_REASONS and not processed and not photo_problems:
            problems.append(_("Add at least one photo that shows the problem."))
        if problems:
            raise AfterSalesRefused(problems)
        case = AfterSalesCase.objects.create(
            number=new_number("AS"),
            order=order,
            user=order.user,
            kind=kind,
            reason=reason,
            description=description,
        )
        AfterSalesLine.objects.bulk_create(
            AfterSalesLine(case=case, order_line_id=line_pk, quantity=units)
            for line_pk, units in sorted(wanted.items())
        )
        try:
            for content in processed:
                photo = AfterSalesPhoto(case=case)
                photo.image.save(content.name, content, save=True)
        except MediaUnavailable as error:  # the rollback takes the case, and its files
            raise AfterSalesRefused([str(error)]) from error
        AfterSalesStatusChange.objects.create(
            subject=case,
            transition="request",
            from_state="",
            to_state=case.status,
            actor=actor,
            reason=description[:1000],
        )
    return case


# --- The shopper ---------------------------------------------------------------------------


def withdraw_case(*, case: AfterSalesCase, actor, reason: str = "") -> AfterSalesCase:
    """The shopper withdraws their request, before the goods are on their way back. Its
    units may be claimed again. Raises ``PermissionDenied`` for anyone but the case's
    shopper and ``IllegalTransition`` unless requested or approved."""
    _require_shopper(actor, case)
    with transaction.atomic():
        _order, case = _locked(case)
        _step(case, "withdraw", actor=actor, reason=reason.strip())
    return case


def send_back(*, case: AfterSalesCase, actor, carrier: str, tracking_number: str) -> AfterSalesCase:
    """The shopper has sent the goods back with ``carrier`` (a code of ``RETURN_CARRIERS``)
    under ``tracking_number``. Raises ``AfterSalesRefused`` for another carrier or a
    tracking number that is not 6–40 letters, digits or dashes, ``AfterSalesError`` for a
    refund without return, ``PermissionDenied`` for anyone but the case's shopper,
    ``IllegalTransition`` unless approved."""
    _require_shopper(actor, case)
    carrier, tracking_number = carrier.strip(), tracking_number.strip().upper()
    problems = []
    if carrier not in RETURN_CARRIERS:
        problems.append(_("Choose the carrier."))
    if not TRACKING_NUMBER.match(tracking_number):
        problems.append(_("Enter the tracking number: 6 to 40 letters, digits or dashes."))
    with transaction.atomic():
        _order, case = _locked(case)
        if case.kind not in GOODS_COME_BACK:
            raise AfterSalesError(_("A refund without return needs no parcel."))
        AFTER_SALES_MACHINE.check(case, "send_back")
        if problems:
            raise AfterSalesRefused(problems)
        case.return_carrier = carrier
        case.return_tracking_number = tracking_number
        _step(
            case,
            "send_back",
            actor=actor,
            reason=f"{carrier_label(carrier)} {tracking_number}",
            update_fields=["return_carrier", "return_tracking_number"],
        )
    return case
