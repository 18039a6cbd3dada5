"""Gift cards (礼品卡): issued and bound (``issuing``), their balance moved with orders
(``ledger``: spent at placement, given back on cancellation, refunded with after-sales).
Callers use the names re-exported here."""

from .issuing import bind_gift_card, issue_gift_cards, normalize_number
from .ledger import refund_to_cards, release_for_order, spend_for_order

__all__ = [
    "bind_gift_card",
    "issue_gift_cards",
    "normalize_number",
    "refund_to_cards",
    "release_for_order",
    "spend_for_order",
]
