"""A card's balance moves with its order: spent when the order is placed, given back
when it is cancelled, refunded with its after-sales refunds. Every move is one
conditional UPDATE of the balance (never below zero: a CHECK behind it) and one ledger
entry with a unique key in the same transaction, so a retried step moves nothing twice
and two checkouts spending one card cannot both take more than is there."""

from decimal import Decimal

from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.money import ZERO
from orders.exceptions import OrderRefused

from ...models import GiftCard, GiftCardEntry


def _entry(card_id, kind, amount, key, *, order=None, actor=None, reason="") -> bool:
    """Write one entry and move the balance; False when the key was used (done)."""
    if GiftCardEntry.objects.filter(key=key).exists():
        return False
    GiftCardEntry.objects.create(
        card_id=card_id, kind=kind, amount=amount, key=key, order=order, actor=actor, reason=reason
    )
    GiftCard.objects.filter(pk=card_id).update(balance=F("balance") + amount)
    return True


def spend_for_order(*, order, uses, user) -> None:
    """Take what each gift card pays of ``order`` (``uses``: the placement's
    ``StoredValueUse``s, "giftcard:<id>"), in card order so that two placements never
    wait on each other crosswise. Raises ``OrderRefused`` when a card is not the
    shopper's any more or its balance fell below what it was to pay (another checkout
    spent it first); the placement then writes nothing."""
    now = timezone.now()
    for use in sorted(uses, key=lambda u: int(u.source.split(":")[1])):
        card_id = int(use.source.split(":")[1])
        taken = (
            GiftCard.objects.filter(
                pk=card_id, owner=user, status=GiftCard.Status.ACTIVE, balance__gte=use.amount
            )
            .exclude(expires_at__lte=now)
            .update(balance=F("balance") - use.amount)
        )
        if not taken:
            raise OrderRefused(
                [
                    _(
                        "Your gift card's balance changed since the page was shown: "
                        "check the amounts and place the order again."
                    )
                ]
            )
        GiftCardEntry.objects.create(
            card_id=card_id,
            kind=GiftCardEntry.Kind.SPEND,
            amount=-use.amount,
            key=f"spend:{order.pk}:{card_id}",
            order=order,
            actor=user,
        )


def _net_by_card(order) -> dict[int, Decimal]:
    """What each card paid of ``order`` and has not had back yet."""
    rows = (
        GiftCardEntry.objects.filter(order=order)
        .values("card_id")
        .annotate(net=Sum("amount"))
        .order_by("card_id")
    )
    return {row["card_id"]: -row["net"] for row in rows if row["net"] < 0}


def release_for_order(*, order, actor=None) -> Decimal:
    """The order is cancelled: every card gets back what it paid of it and has not had
    back yet. Once per card and order (the entry's key). Returns the amount."""
    back = ZERO
    for card_id, net in _net_by_card(order).items():
        if _entry(
            card_id,
            GiftCardEntry.Kind.RELEASE,
            net,
            f"release:{order.pk}:{card_id}",
            order=order,
            actor=actor,
        ):
            back += net
    return back


def refund_to_cards(*, order, amount: Decimal, key: str, reason: str = "") -> Decimal:
    """Put ``amount`` of a refund back on the cards that paid ``order``, card by card up
    to what each paid and has not had back, once per ``key``. Returns what it put back."""
    left = amount
    refunded = ZERO
    for card_id, net in _net_by_card(order).items():
        part = min(net, left)
        if part <= 0:
            continue
        if _entry(
            card_id,
            GiftCardEntry.Kind.REFUND,
            part,
            f"refund:{key}:{card_id}"[:120],
            order=order,
            reason=reason[:200],
        ):
            refunded += part
        left -= part
    return refunded
