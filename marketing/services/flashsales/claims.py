"""Giving a claim's units back when its order is cancelled or never paid: registered with
orders as a cancel hook, released once however many paths meet."""

from django.db import transaction
from django.db.models import F

from orders.services import ordering

from ...models import FlashSale, FlashSaleClaim
from ..flash_gate import ANY_HOLD, gate_enabled, give_back
from . import offers

# --- Giving units back -----------------------------------------------------------------------


@ordering.register_cancel_hook
def release_claim(*, order) -> None:
    """The flash-sale claim of ``order`` (if any) gives its units back to the sale: the
    order was cancelled or never paid. Runs inside the caller's transaction; the Redis
    counter follows on commit. Does nothing for an order without a live claim."""
    claim = (
        FlashSaleClaim.objects.filter(order_id=order.pk, released=False)
        .values("pk", "flash_sale_id", "user_id", "quantity")
        .first()
    )
    if claim is None:
        return
    _release(claim)


def _release(claim: dict, *, to_gate: bool = True) -> bool:
    # Conditional: released once, however many cancellation paths meet.
    if not FlashSaleClaim.objects.filter(pk=claim["pk"], released=False).update(released=True):
        return False
    FlashSale.objects.filter(pk=claim["flash_sale_id"]).update(sold=F("sold") - claim["quantity"])
    sku_id = FlashSale.objects.values_list("sku_id", flat=True).get(pk=claim["flash_sale_id"])
    offers.refresh(sku_id)  # units back: the flash price may show again
    if to_gate and gate_enabled():
        transaction.on_commit(
            lambda: give_back(
                sale_id=claim["flash_sale_id"],
                user_id=claim["user_id"],
                units=claim["quantity"],
                hold=ANY_HOLD,
            )
        )
    return True
