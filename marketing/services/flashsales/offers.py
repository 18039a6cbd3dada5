"""Flash prices on the storefront's cards and price filters: marketing's offer source for
the catalog (``catalog.services.price_ranges``), and the refresh each change of a sale
asks for. The catalog shows an offer from its start to its end, to the second; it drops
it when the sale is ended early, called off or sold out, and shows it again when units
come back."""

from django.utils import timezone

from catalog.services import price_ranges

from ...models import FlashSale

SOURCE = "flash_sale"


def flash_offers(sku_ids):
    """The catalog's offer source: sales of ``sku_ids`` not ended and not sold out."""
    sales = FlashSale.objects.filter(sku_id__in=sku_ids, ends_at__gt=timezone.now()).values(
        "sku_id", "price", "starts_at", "ends_at", "quantity", "sold"
    )
    return [
        price_ranges.Offer(
            sku_id=s["sku_id"],
            price=s["price"],
            starts_at=s["starts_at"],
            ends_at=s["ends_at"],
            source=SOURCE,
        )
        for s in sales
        if s["sold"] < s["quantity"]
    ]


def refresh(*sku_ids) -> None:
    """The catalog copies the sales of ``sku_ids`` again (in the caller's transaction)."""
    price_ranges.refresh_offers(sku_ids=sku_ids)


def refresh_all() -> int:
    """Every SKU with a sale not ended, and those whose offer the catalog still shows:
    the minute job's safety net."""
    skus = set(
        FlashSale.objects.filter(ends_at__gt=timezone.now()).values_list("sku_id", flat=True)
    )
    return price_ranges.refresh_offers(sku_ids=skus | price_ranges.offered_skus())
