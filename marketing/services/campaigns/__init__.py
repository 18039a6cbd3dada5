from .budget import book, book_for_order, granting, ledger_total, release_for_order
from .planning import (
    advance_campaigns,
    approve_campaign,
    cancel_campaign,
    close_review,
    end_campaign,
    reject_campaign,
    save_campaign,
    start_campaign,
    submit_campaign,
)
from .spend import import_spend, record_spend

__all__ = [
    "advance_campaigns",
    "approve_campaign",
    "book",
    "book_for_order",
    "cancel_campaign",
    "close_review",
    "end_campaign",
    "granting",
    "import_spend",
    "ledger_total",
    "record_spend",
    "reject_campaign",
    "release_for_order",
    "save_campaign",
    "start_campaign",
    "submit_campaign",
]
