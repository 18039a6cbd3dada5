"""Shipments on the shopper's pages: ``{{ shipment.carrier|carrier_label }}``."""

from django import template

from ..carriers import registry as carriers

register = template.Library()


@register.filter
def carrier_label(name: str) -> str:
    """What people call the carrier stored as ``name`` on a shipment."""
    return carriers.label(name)
