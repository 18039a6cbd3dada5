"""A promotion's life: submitted (scheduled at once, or waiting for a second operator
when deeper than ``MALL_PROMOTION_APPROVAL_DEPTH``), approved or sent back, started and
ended by the clock (``advance_promotions``, every minute), withdrawn, called off or ended
early. Every step is a transition with a history row (the auditable calendar) and changes
the rules' version, so every process prices with it at once."""

import logging
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.approval import check_four_eyes
from mall.statemachine import IllegalTransition, transition

from ...exceptions import PromotionInvalid
from ...models import PROMOTION_MACHINE, Promotion, PromotionStatusChange
from ..pricing import catalogue
from .editing import depth_of, promotion_problems

logger = logging.getLogger("marketing.promotions")

APPROVE = "marketing.approve_promotion"


def _step(promotion, name, *, actor, reason="", update_fields=()):
    transition(
        promotion,
        PROMOTION_MACHINE,
        name,
        history=PromotionStatusChange,
        actor=actor,
        reason=reason,
        update_fields=update_fields,
    )
    catalogue.bump()
    return promotion


def _data(promotion: Promotion) -> tuple[dict, list[dict]]:
    data = {
        name: getattr(promotion, name)
        for name in (
            "name",
            "kind",
            "basis",
            "repeatable",
            "cap",
            "percent_off",
            "fixed_price",
            "buy_quantity",
            "free_quantity",
            "nth",
            "starts_at",
            "ends_at",
        )
    }
    data["products"] = list(promotion.products.all())
    tiers = [
        {
            "threshold": t.threshold,
            "amount_off": t.amount_off,
            "percent_off": t.percent_off,
            "gift_sku": t.gift_sku,
            "gift_quantity": t.gift_quantity,
        }
        for t in promotion.tiers.select_related("gift_sku")
    ]
    return data, tiers


def needs_approval(depth: Decimal) -> bool:
    return depth > Decimal(settings.MALL_PROMOTION_APPROVAL_DEPTH)


@transaction.atomic
def submit_promotion(*, promotion: Promotion, actor) -> Promotion:
    """Submit a draft: checked again as a whole (``PromotionInvalid`` with every
    problem), its depth computed; scheduled at once, or awaiting a second operator when
    deeper than the approval depth. ``IllegalTransition`` unless a draft."""
    data, tiers = _data(promotion)
    problems = promotion_problems(data, tiers)
    if problems:
        raise PromotionInvalid(problems)
    promotion.depth = depth_of(promotion, list(promotion.tiers.all()))
    promotion.submitted_by = actor
    promotion.approved_by = None
    name = "submit_for_approval" if needs_approval(promotion.depth) else "submit"
    reason = _("depth %(depth)s%%") % {"depth": (promotion.depth * 100).quantize(Decimal("0.1"))}
    _step(
        promotion,
        name,
        actor=actor,
        reason=reason,
        update_fields=["depth", "submitted_by", "approved_by"],
    )
    logger.info("promotion submitted", extra={"promotion": promotion.pk, "step": name})
    return promotion


@transaction.atomic
def approve_promotion(*, promotion: Promotion, actor, reason: str = "") -> Promotion:
    """A second operator approves a deep promotion: scheduled. Raises
    ``PromotionInvalid`` when the approver submitted it or may not approve (four eyes;
    a CHECK says so too), ``IllegalTransition`` unless it awaits approval."""
    if actor is None or not actor.has_perm(APPROVE):
        raise PromotionInvalid([_("You may not approve promotions.")])
    check_four_eyes(
        actor=actor,
        asked_by_id=promotion.submitted_by_id,
        refusal=lambda: PromotionInvalid([_("Another operator must approve what you submitted.")]),
    )
    promotion.approved_by = actor
    return _step(promotion, "approve", actor=actor, reason=reason, update_fields=["approved_by"])


def reject_promotion(*, promotion: Promotion, actor, reason: str) -> Promotion:
    """Send a promotion awaiting approval back to its draft, saying why."""
    if not (reason or "").strip():
        raise PromotionInvalid([_("Say why it is sent back.")])
    if actor is None or not actor.has_perm(APPROVE):
        raise PromotionInvalid([_("You may not approve promotions.")])
    with transaction.atomic():
        return _step(promotion, "reject", actor=actor, reason=reason.strip())


def withdraw_promotion(*, promotion: Promotion, actor, reason: str = "") -> Promotion:
    """Take a promotion back to its draft to change it, before it starts."""
    with transaction.atomic():
        promotion = Promotion.objects.select_for_update().get(pk=promotion.pk)
        if promotion.starts_at <= timezone.now() and promotion.status == Promotion.Status.SCHEDULED:
            raise PromotionInvalid([_("A promotion that has started is ended, not withdrawn.")])
        return _step(promotion, "withdraw", actor=actor, reason=reason)


def call_off_promotion(*, promotion: Promotion, actor, reason: str) -> Promotion:
    """Call off a promotion that has not started (a draft, awaiting approval or
    scheduled); it stays in the calendar as called off."""
    if not (reason or "").strip():
        raise PromotionInvalid([_("Say why it is called off.")])
    with transaction.atomic():
        promotion = Promotion.objects.select_for_update().get(pk=promotion.pk)
        if promotion.status == Promotion.Status.SCHEDULED and promotion.starts_at <= timezone.now():
            raise PromotionInvalid([_("A promotion that has started is ended, not called off.")])
        return _step(promotion, "call_off", actor=actor, reason=reason.strip())


def end_promotion(*, promotion: Promotion, actor, reason: str, now=None) -> Promotion:
    """End a running promotion now (its end moves to now): carts stop getting it."""
    if not (reason or "").strip():
        raise PromotionInvalid([_("Say why it ends early.")])
    now = now or timezone.now()
    with transaction.atomic():
        promotion = Promotion.objects.select_for_update().get(pk=promotion.pk)
        if promotion.starts_at > now:
            raise PromotionInvalid([_("It has not started: call it off instead.")])
        if promotion.ends_at > now:
            promotion.ends_at = now
        if promotion.status == Promotion.Status.SCHEDULED:
            _step(promotion, "start", actor=None, reason="")
        return _step(
            promotion, "end", actor=actor, reason=reason.strip(), update_fields=["ends_at"]
        )


def advance_promotions(*, now=None) -> int:
    """The clock: scheduled promotions whose start has come are running, and those whose
    end has passed are ended, each with a history row (the job's actor is empty). Each in
    its own transaction; safe to run twice or at once. Returns how many moved. The engine
    does not wait for this job: it applies approved promotions by their times."""
    now = now or timezone.now()
    moved = 0
    due_start = Promotion.objects.filter(status=Promotion.Status.SCHEDULED, starts_at__lte=now)
    due_end = Promotion.objects.filter(
        status__in=[Promotion.Status.SCHEDULED, Promotion.Status.RUNNING], ends_at__lte=now
    )
    for pk in list(due_start.values_list("pk", flat=True)) + list(
        due_end.values_list("pk", flat=True)
    ):
        promotion = Promotion(pk=pk)
        try:
            with transaction.atomic():
                current = Promotion.objects.select_for_update().get(pk=pk)
                if current.status == Promotion.Status.SCHEDULED and current.starts_at <= now:
                    _step(promotion, "start", actor=None, reason=_("its start came"))
                    moved += 1
                    current.status = Promotion.Status.RUNNING
                if current.status == Promotion.Status.RUNNING and current.ends_at <= now:
                    _step(promotion, "end", actor=None, reason=_("its end came"))
                    moved += 1
        except IllegalTransition:
            continue
    return moved
