"""Writes of the customers app, by subdomain: accounts and address books (``accounts``),
customer-service tickets (``tickets``), the FAQ knowledge base (``knowledge``).

The account functions are re-exported here, where views and other apps call them
(``customers.services.notify``)."""

from .accounts import (
    delete_address,
    mark_notifications_read,
    notify,
    register_shopper,
    save_address,
    set_default_address,
    update_profile,
)

__all__ = [
    "delete_address",
    "mark_notifications_read",
    "notify",
    "register_shopper",
    "save_address",
    "set_default_address",
    "update_profile",
]
