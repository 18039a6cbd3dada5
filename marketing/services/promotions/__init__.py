"""Promotions (促销): drafts an operator writes (``editing``) and their life by the
machine and the clock (``lifecycle``). Pricing carts with them is ``..pricing``.
Callers use the names re-exported here."""

from .editing import depth_of, promotion_problems, save_promotion
from .lifecycle import (
    advance_promotions,
    approve_promotion,
    call_off_promotion,
    end_promotion,
    needs_approval,
    reject_promotion,
    submit_promotion,
    withdraw_promotion,
)

__all__ = [
    "advance_promotions",
    "approve_promotion",
    "call_off_promotion",
    "depth_of",
    "end_promotion",
    "needs_approval",
    "promotion_problems",
    "reject_promotion",
    "save_promotion",
    "submit_promotion",
    "withdraw_promotion",
]
