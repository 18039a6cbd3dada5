"""Operators' admin for orders, split by subdomain like the models."""

from . import (  # noqa: F401  (each module registers its admins)
    aftersales,
    connections,
    fulfilment,
    logistics,
    orders,
    payments,
    queues,
)
