"""Gift cards come into being (issued by an operator, with a reason) and into a
shopper's wallet (bound by the card number, once)."""

import datetime
import logging
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.money import to_money

from ...exceptions import GiftCardRefused
from ...models import GiftCard, GiftCardEntry
from ..pricing import catalogue

logger = logging.getLogger("marketing.giftcards")

ISSUE = "marketing.add_giftcard"
MAX_CARDS = 1000
MAX_VALUE = to_money("50000")


def _number() -> str:
    digits = "".join(secrets.choice("0123456789") for _ in range(16))
    return " ".join(digits[i : i + 4] for i in range(0, 16, 4))


def normalize_number(number: str) -> str:
    digits = "".join(ch for ch in (number or "") if ch.isdigit())
    return " ".join(digits[i : i + 4] for i in range(0, 16, 4)) if len(digits) == 16 else ""


def issue_gift_cards(
    *, face_value, actor, reason: str, quantity: int = 1, owner=None, valid_days=None
) -> list[GiftCard]:
    """Issue ``quantity`` cards of ``face_value`` (each with a random 16-digit number, an
    ``issue`` ledger entry and that balance), for the reason given; bound to ``owner``'s
    wallet when given. Raises ``GiftCardRefused`` without the permission, a reason, or
    with a value or quantity out of range; nothing is written then."""
    if actor is None or not actor.has_perm(ISSUE):
        raise GiftCardRefused(_("You may not issue gift cards."), code="forbidden")
    reason = (reason or "").strip()
    problems = []
    try:
        value = to_money(face_value)
    except (TypeError, ValueError, ArithmeticError):
        value = None
    if value is None or not 0 < value <= MAX_VALUE:
        problems.append(_("A card's value is above zero and at most %(max)s.") % {"max": MAX_VALUE})
    if not reason:
        problems.append(_("Say why the cards are issued."))
    if not 1 <= int(quantity or 0) <= MAX_CARDS:
        problems.append(_("Issue between 1 and %(max)s cards.") % {"max": MAX_CARDS})
    if problems:
        raise GiftCardRefused(" ".join(str(p) for p in problems))
    now = timezone.now()
    expires_at = now + datetime.timedelta(days=int(valid_days)) if valid_days else None
    for _attempt in range(3):
        try:
            with transaction.atomic():
                cards = GiftCard.objects.bulk_create(
                    GiftCard(
                        code=_number(),
                        face_value=value,
                        balance=value,
                        owner=owner,
                        bound_at=now if owner else None,
                        issued_by=actor,
                        reason=reason[:200],
                        issued_at=now,
                        expires_at=expires_at,
                    )
                    for _n in range(int(quantity))
                )
                GiftCardEntry.objects.bulk_create(
                    GiftCardEntry(
                        card=card,
                        kind=GiftCardEntry.Kind.ISSUE,
                        amount=value,
                        key=f"issue:{card.pk}",
                        actor=actor,
                        reason=reason[:200],
                        created_at=now,
                    )
                    for card in cards
                )
                catalogue.bump()  # wallets ask for cards once any exists
        except IntegrityError:
            continue  # a number met one issued before: draw the batch again
        logger.info(
            "gift cards issued",
            extra={"count": len(cards), "value": str(value), "actor": actor.pk},
        )
        return cards
    raise GiftCardRefused(_("The cards could not be issued; try again."))  # pragma: no cover


def bind_gift_card(*, number: str, user) -> GiftCard:
    """A shopper adds a card to their wallet by its number: once, by a conditional
    UPDATE (a card in someone's wallet stays there). Raises ``GiftCardRefused``."""
    if user is None or not user.is_authenticated:
        raise GiftCardRefused(_("Sign in to add a gift card."))
    code = normalize_number(number)
    card = GiftCard.objects.filter(code=code).first() if code else None
    if card is None:
        raise GiftCardRefused(_("There is no gift card with this number."), code="unknown")
    if card.owner_id == user.pk:
        return card
    bound = GiftCard.objects.filter(pk=card.pk, owner__isnull=True).update(
        owner=user, bound_at=timezone.now()
    )
    if not bound:
        raise GiftCardRefused(_("This gift card is in another wallet."), code="taken")
    card.refresh_from_db()
    return card
