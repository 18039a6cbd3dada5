"""Carts: a guest's (found through the session) or a signed-in shopper's, merged when the
guest signs in. A cart keeps only SKUs and quantities; what a line costs and whether it
can be ordered is read fresh every time (``orders.selectors.orders.cart_view``).
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, DecimalField, F, Value, When
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.tracking import record_event

from ..exceptions import CartError
from ..models import Cart, CartLine
from .checkout import check_items

# Enough for any household; more is a wholesale order (and would trip the risk review).
MAX_QUANTITY = 99


def cart_of(*, user=None, cart_id=None) -> Cart | None:
    """The signed-in shopper's cart, else the guest cart ``cart_id`` (kept in the
    session, which only the server can write), else ``None``."""
    if user is not None and user.is_authenticated:
        return Cart.objects.filter(user=user).first()
    if cart_id:
        return Cart.objects.filter(pk=cart_id, user__isnull=True).first()
    return None


def open_cart(*, user=None, session_key: str | None = None) -> Cart:
    """The shopper's cart, created on first use. A guest cart is tied to the session
    key it was made in (for cleaning up abandoned carts); the caller keeps its id."""
    if user is not None and user.is_authenticated:
        # get_or_create falls back to a get when a concurrent first add created it.
        cart, _created = Cart.objects.get_or_create(user=user)
        return cart
    if not session_key:
        raise CartError(_("Your session has expired: reload the page and try again."))
    cart, _created = Cart.objects.get_or_create(session_key=session_key, user=None)
    return cart


def _check_quantity(quantity) -> int:
    try:
        quantity = int(quantity)
    except (TypeError, ValueError):
        raise CartError(
            _("Enter a quantity between 1 and %(max)s.") % {"max": MAX_QUANTITY}
        ) from None
    if not 1 <= quantity <= MAX_QUANTITY:
        raise CartError(_("Enter a quantity between 1 and %(max)s.") % {"max": MAX_QUANTITY})
    return quantity


def _check_orderable(sku_id: int, quantity: int):
    [item] = check_items([(sku_id, quantity)])
    if item.problem:
        raise CartError(item.problem)
    return item


@transaction.atomic
def add_to_cart(*, cart: Cart, sku_id: int, quantity: int = 1) -> CartLine:
    """Add ``quantity`` of a SKU on sale to ``cart`` (added to a line already there).

    Raises ``CartError`` with the reason when the SKU is not on sale, the quantity is out
    of range, or the line would ask for more than is available; nothing changes then.
    """
    quantity = _check_quantity(quantity)
    # The cart's row is the lock: two adds at once (a double click) queue here, and the
    # second finds the line the first created instead of breaking its uniqueness.
    Cart.objects.select_for_update().values_list("pk", flat=True).get(pk=cart.pk)
    line = CartLine.objects.filter(cart=cart, sku_id=sku_id).first()
    wanted = quantity + (line.quantity if line else 0)
    if wanted > MAX_QUANTITY:
        raise CartError(_("At most %(max)s of one item per order.") % {"max": MAX_QUANTITY})
    item = _check_orderable(sku_id, wanted)
    if line is None:
        line = CartLine.objects.create(
            cart=cart, sku_id=sku_id, quantity=wanted, price_seen=item.unit_price
        )
    else:
        line.quantity = wanted
        line.price_seen = item.unit_price
        line.save(update_fields=["quantity", "price_seen"])
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
    record_event("cart_add", sku=sku_id, quantity=quantity)
    return line


@transaction.atomic
def set_quantity(*, cart: Cart, sku_id: int, quantity) -> CartLine | None:
    """Set a line's quantity; 0 removes it (and returns ``None``). Raises ``CartError``
    for a line not in the cart, a quantity out of range or beyond what is available."""
    try:
        if int(quantity) == 0:
            remove_from_cart(cart=cart, sku_id=sku_id)
            return None
    except (TypeError, ValueError):
        pass
    quantity = _check_quantity(quantity)
    line = CartLine.objects.select_for_update().filter(cart=cart, sku_id=sku_id).first()
    if line is None:
        raise CartError(_("This item is no longer in your cart."))
    item = _check_orderable(sku_id, quantity)
    line.quantity = quantity
    line.price_seen = item.unit_price
    line.save(update_fields=["quantity", "price_seen"])
    return line


def remove_from_cart(*, cart: Cart, sku_id: int) -> bool:
    """Remove a line; returns whether there was one."""
    deleted, _rows = CartLine.objects.filter(cart=cart, sku_id=sku_id).delete()
    if deleted:
        record_event("cart_remove", sku=sku_id)
    return bool(deleted)


@transaction.atomic
def merge_carts(*, guest_cart: Cart | None, user) -> Cart | None:
    """A guest signs in: their guest cart's lines move into their own cart (quantities of
    the same SKU add up, capped at ``MAX_QUANTITY``) and the guest cart is deleted.
    Returns the shopper's cart (``None`` when neither existed)."""
    if guest_cart is None or guest_cart.user_id is not None:
        return cart_of(user=user)
    cart = open_cart(user=user)
    mine = {line.sku_id: line for line in CartLine.objects.select_for_update().filter(cart=cart)}
    for line in guest_cart.lines.all():
        if line.sku_id in mine:
            CartLine.objects.filter(pk=mine[line.sku_id].pk).update(
                quantity=Least(F("quantity") + line.quantity, Value(MAX_QUANTITY))
            )
        else:
            CartLine.objects.create(
                cart=cart, sku_id=line.sku_id, quantity=line.quantity, price_seen=line.price_seen
            )
    guest_cart.delete()
    return cart


def note_prices_shown(view) -> None:
    """Remember the prices a cart page showed, so that a change is announced once."""
    changed = {
        line.sku_id: line.unit_price
        for line in view.lines
        if line.unit_price is not None and line.price_seen != line.unit_price
    }
    if not changed:
        return
    # One UPDATE however many prices moved.
    CartLine.objects.filter(cart=view.cart, sku_id__in=changed).update(
        price_seen=Case(
            *(When(sku_id=sku_id, then=Value(price)) for sku_id, price in changed.items()),
            output_field=DecimalField(max_digits=12, decimal_places=2),
        )
    )


@dataclass(frozen=True)
class BuyAgain:
    added: list[CartLine]
    refused: list[str]  # one reason per line that could not be added, for the shopper


def buy_again(*, order, cart: Cart) -> BuyAgain:
    """再次购买: put every line the shopper bought in ``order`` (gifts left out) back into
    ``cart``, each in its own transaction through ``add_to_cart``: a line that is no
    longer on sale or short of stock is named in ``refused`` and the others are still
    added. The caller checks that ``order`` is the shopper's own."""
    added, refused = [], []
    for line in order.lines.filter(gift_source="").order_by("pk"):
        try:
            added.append(add_to_cart(cart=cart, sku_id=line.sku_id, quantity=line.quantity))
        except CartError as error:
            refused.append(f"{line.product_name}: {error}")
    return BuyAgain(added=added, refused=refused)
