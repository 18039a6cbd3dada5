"""Operators' admin for orders, split by subdomain like the models."""

from . import flashsales, orders, payments  # noqa: F401  (each module registers its admins)
