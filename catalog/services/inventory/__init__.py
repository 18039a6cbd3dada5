"""Stock changes. Every change writes a movement, so the ledger of a stock row always sums
to its ``on_hand`` (and its ``reserved_change`` column to ``reserved``).

Reservations never oversell: each is a conditional UPDATE (``on_hand - reserved >= n``
in the WHERE clause), which PostgreSQL re-checks on the current row after waiting for a
concurrent writer, and CHECK constraints refuse ``reserved > on_hand`` as the last guard.

``reconcile_stock`` (run hourly by beat) checks those sums and records drift as a
``StockDiscrepancy`` for a person to explain; it never corrects a stock row itself.

By subject: ``ledger`` (movements: receipts, adjustments, transfers, returns),
``reservations`` (reserve, release, consume, expiry), ``reconciliation`` (the ledger and
the reservations checked against every stock row; drift recorded, never "fixed").
Callers use the names re-exported here (``inventory.reserve``).
"""

from .ledger import adjust_stock, book_movement, receive_stock, return_to_stock, transfer_stock
from .reconciliation import reconcile_stock, resolve_discrepancy, stock_with_records
from .reservations import (
    available_units,
    consume,
    hold_until_shipped,
    release,
    release_expired,
    reserve,
)

__all__ = [
    "adjust_stock",
    "available_units",
    "book_movement",
    "consume",
    "hold_until_shipped",
    "receive_stock",
    "reconcile_stock",
    "release",
    "release_expired",
    "reserve",
    "resolve_discrepancy",
    "return_to_stock",
    "stock_with_records",
    "transfer_stock",
]
