"""The warehouse's reads: the shipments to pick in a warehouse, line by line and in
total per SKU, in a fixed number of queries."""

from django.db.models import Count, F, Max, QuerySet, Sum

from ..models import Shipment, ShipmentLine

# --- Pick lists (reads) ----------------------------------------------------------------------


def pick_list(*, warehouse) -> QuerySet[ShipmentLine]:
    """The lines of every shipment of ``warehouse`` waiting to be picked, shipment by
    shipment (oldest first), with the SKU (code, barcode), the product name and
    specification as sold, and the order (recipient): one query."""
    return (
        ShipmentLine.objects.filter(
            shipment__warehouse=warehouse, shipment__status=Shipment.Status.PICKING
        )
        .select_related("shipment__order", "order_line__sku")
        .order_by("shipment__created_at", "shipment__pk", "order_line__sku__code", "pk")
    )


def pick_totals(*, warehouse) -> QuerySet:
    """The same work summed per SKU, for one walk through the shelves: dicts of
    ``sku_id``, ``code``, ``barcode``, ``name``, ``spec``, ``quantity`` and ``shipments``,
    by SKU code. One query."""
    return (
        ShipmentLine.objects.filter(
            shipment__warehouse=warehouse, shipment__status=Shipment.Status.PICKING
        )
        .values(sku_id=F("order_line__sku_id"))
        .annotate(
            code=Max("order_line__sku__code"),
            barcode=Max("order_line__sku__barcode"),
            name=Max("order_line__product_name"),
            spec=Max("order_line__sku_label"),
            quantity=Sum("quantity"),
            shipments=Count("shipment", distinct=True),
        )
        .order_by("code")
    )
