"""Stock changes. Every change writes a movement; the inventory issue adds reservations,
stocktakes and reconciliation on the same ledger."""

from django.db import transaction
from django.db.models import F

from ..exceptions import CatalogError
from ..models import SKU, Stock, StockMovement, Warehouse


@transaction.atomic
def receive_stock(
    *, sku: SKU, warehouse: Warehouse, quantity: int, actor, reference: str = ""
) -> Stock:
    """Book a purchase receipt: ``on_hand`` grows by ``quantity`` (> 0), with a movement."""
    if quantity <= 0:
        raise CatalogError("A receipt must add at least one unit.")
    stock, _ = Stock.objects.get_or_create(sku=sku, warehouse=warehouse)
    Stock.objects.filter(pk=stock.pk).update(on_hand=F("on_hand") + quantity)
    StockMovement.objects.create(
        stock=stock,
        kind=StockMovement.Kind.RECEIPT,
        quantity=quantity,
        reference=reference,
        actor=actor,
    )
    stock.refresh_from_db()
    return stock
