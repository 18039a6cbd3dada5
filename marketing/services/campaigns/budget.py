"""A campaign's budget: what its rules give away is booked against it, and at the cap the
rules stop granting.

The shape of ``catalog.services.inventory.reserve``: ``spent`` rises by one conditional
UPDATE (``WHERE spent + cost <= budget``) with a CHECK behind it, and every booking is an
append-only ``CampaignSpend`` row with a unique key, so the ledger sums to ``spent`` and
no booking happens twice. Two checkouts at once cannot both take the last of a budget:
the second UPDATE waits for the first's row lock, then finds no room and refuses.
"""

import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.services import accounts
from mall.money import ZERO, format_money, to_money
from orders.exceptions import OrderRefused

from ...exceptions import BudgetExhausted
from ...models import GRANTING, Campaign, CampaignSpend

logger = logging.getLogger(__name__)

WARN_SHARE = Decimal("0.80")


def granting(campaign_ids) -> dict[int, Decimal]:
    """What is left of the budget of each of ``campaign_ids`` whose rules may grant now
    (approved or running, budget left), in one query; the others are absent."""
    if not campaign_ids:
        return {}
    rows = Campaign.objects.filter(
        pk__in=set(campaign_ids), status__in=GRANTING, spent__lt=F("budget")
    ).values_list("pk", "budget", "spent")
    return {pk: budget - spent for pk, budget, spent in rows}


def book(
    *,
    campaign_id: int,
    amount,
    key: str,
    kind=CampaignSpend.Kind.DISCOUNT,
    order=None,
    source: str = "",
    actor=None,
) -> CampaignSpend:
    """Book ``amount`` against the campaign's budget, once per ``key``; returns the entry
    (the first one when ``key`` was booked before). Raises ``BudgetExhausted`` when it
    does not fit in what is left (nothing written then). Warns the owner the first time
    the spend passes 80 % of the budget. Runs in the caller's transaction, or its own."""
    amount = to_money(amount)
    with transaction.atomic():
        existing = CampaignSpend.objects.filter(key=key).first()
        if existing is not None:
            return existing
        if amount > 0:
            updated = Campaign.objects.filter(
                pk=campaign_id, spent__lte=F("budget") - amount
            ).update(spent=F("spent") + amount)
            if not updated:
                raise BudgetExhausted(Campaign.objects.get(pk=campaign_id), format_money(amount))
        elif amount < 0:
            Campaign.objects.filter(pk=campaign_id).update(spent=F("spent") + amount)
        entry = CampaignSpend.objects.create(
            campaign_id=campaign_id,
            kind=kind,
            amount=amount,
            order=order,
            source=source,
            key=key,
            actor=actor,
        )
        if amount > 0:
            _warn_owner_once(campaign_id)
    return entry


def _warn_owner_once(campaign_id: int) -> None:
    """At 80 % the owner hears it once: ``warned_at`` is set by a conditional UPDATE, so
    of two bookings passing the mark at once one sends the warning."""
    claimed = Campaign.objects.filter(
        pk=campaign_id,
        warned_at__isnull=True,
        spent__gte=F("budget") * WARN_SHARE,
    ).update(warned_at=timezone.now())
    if not claimed:
        return
    campaign = Campaign.objects.select_related("owner").get(pk=campaign_id)
    accounts.notify(
        user=campaign.owner,
        title=_("Campaign “%(campaign)s” has used 80%% of its budget") % {"campaign": campaign},
        body=_("Spent %(spent)s of %(budget)s. At the budget its offers stop.")
        % {"spent": format_money(campaign.spent), "budget": format_money(campaign.budget)},
        link=reverse("admin:marketing_campaign_change", args=[campaign.pk]),
    )
    logger.info("campaign budget warning", extra={"campaign": campaign_id})


def book_for_order(*, order, costs: dict[int, dict[str, Decimal]], user) -> list[CampaignSpend]:
    """Book what an order was given, per campaign and per source (``costs``: campaign id
    -> source -> amount), in the order's transaction and in campaign id order (so two
    orders never wait on each other crosswise). Raises ``OrderRefused`` when a campaign's
    budget cannot take it: the order is not placed, and the next quote leaves that
    campaign's rules out."""
    entries = []
    for campaign_id in sorted(costs):
        for source, amount in sorted(costs[campaign_id].items()):
            if amount <= 0:
                continue
            try:
                entries.append(
                    book(
                        campaign_id=campaign_id,
                        amount=amount,
                        key=f"order:{order.pk}:{source}",
                        order=order,
                        source=source,
                        actor=user,
                    )
                )
            except BudgetExhausted as error:
                raise OrderRefused(
                    [_("An offer in your cart has just run out. Please check the new total.")]
                ) from error
    return entries


def release_for_order(*, order) -> list[CampaignSpend]:
    """Give back what a cancelled order booked (once: each release has its key)."""
    booked = (
        CampaignSpend.objects.filter(order=order, kind=CampaignSpend.Kind.DISCOUNT)
        .order_by("campaign_id", "pk")
        .values_list("campaign_id", "source", "amount")
    )
    return [
        book(
            campaign_id=campaign_id,
            amount=-amount,
            key=f"order:{order.pk}:{source}:release",
            kind=CampaignSpend.Kind.RELEASE,
            order=order,
            source=source,
        )
        for campaign_id, source, amount in booked
    ]


def ledger_total(campaign_id: int) -> Decimal:
    """What the ledger says was spent (equals ``Campaign.spent``)."""
    total = CampaignSpend.objects.filter(campaign_id=campaign_id).aggregate(s=Sum("amount"))["s"]
    return to_money(total or ZERO)
