"""Operators' admin for orders, split by subdomain like the models."""

from . import aftersales, connections, fulfilment, logistics, orders, payments  # noqa: F401  (each module registers its admins)
