"""Membership tiers and points (see ``tiers``, ``points``, ``pricing``); callers use the
names re-exported here."""

from .points import (
    POINTS_SOURCE,
    adjust_points,
    award_points,
    balance_of,
    birthday_gifts,
    expire_points,
    expiring_soon,
    lot_expiry,
    reconcile_points,
    release_for_order,
    remind_expiring_points,
    reverse_for_case,
)
from .tiers import on_order_paid, recompute_tiers, refresh_member, set_tier, tier_of

__all__ = [
    "POINTS_SOURCE",
    "adjust_points",
    "award_points",
    "balance_of",
    "birthday_gifts",
    "expire_points",
    "expiring_soon",
    "lot_expiry",
    "on_order_paid",
    "recompute_tiers",
    "reconcile_points",
    "refresh_member",
    "release_for_order",
    "remind_expiring_points",
    "reverse_for_case",
    "set_tier",
    "tier_of",
]
