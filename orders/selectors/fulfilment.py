"""The warehouse's reads: the shipments to pick in a warehouse, line by line and in
total per SKU, in a fixed number of queries."""

from django.db.models import Count, F, Max, Prefetch, QuerySet, Sum

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


def waybill_shipments(*, warehouse=None, pks=None) -> QuerySet[Shipment]:
    """Shipments to print waybills for, with order, warehouse and lines (three queries):
    one warehouse's parcels waiting to be picked (its pick list, oldest first), or the
    shipments ``pks``."""
    shipments = Shipment.objects.select_related("order", "warehouse").prefetch_related(
        Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line").order_by("pk"))
    )
    if warehouse is not None:
        shipments = shipments.filter(warehouse=warehouse, status=Shipment.Status.PICKING)
    if pks is not None:
        shipments = shipments.filter(pk__in=pks)
    return shipments.order_by("created_at", "pk")
