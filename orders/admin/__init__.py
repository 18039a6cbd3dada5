"""Operators' admin for orders, split by subdomain like the models."""

from . import aftersales, fulfilment, logistics, orders, payments  # noqa: F401  (each module registers its admins)
