"""Helpers for orders tests: goods to buy and orders placed through the real service."""

import uuid

from catalog.models import Category
from orders.services import ordering
from tests.catalog.factories import make_listed_product, tea_categories
from tests.customers.factories import AddressFactory, UserFactory


def listed_sku(*, price="45.00", stock=10, name="龙井", category=None):
    """One listed SKU at ``price`` with ``stock`` units in one warehouse (call it as
    often as needed: the category tree is made once)."""
    category = category or Category.objects.filter(slug="tea").first() or tea_categories()
    product = make_listed_product(name=name, category=category, prices=(price,), stock=stock)
    return product.skus.get()


def place(*, user=None, address=None, items, shipping_method="standard", key=None, **kwargs):
    """An order of ``items`` (``[(sku, quantity)]``) placed by ``place_order``; a new
    shopper with an address unless given."""
    user = user or UserFactory()
    address = address or AddressFactory(user=user)
    return ordering.place_order(
        user=user,
        address=address,
        items=[(sku.pk, quantity) for sku, quantity in items],
        shipping_method=shipping_method,
        idempotency_key=key or uuid.uuid4().hex,
        **kwargs,
    )
