"""Coupons (优惠券): templates (``templates``), how coupons reach wallets (``issuing``:
claims, grants, CSV grants, codes, compensation), a coupon on an order (``using``: locked
at placement, given back on cancellation or a full refund), and coupons that run out
(``expiry``: expired, reminders). Callers use the names re-exported here."""

from .expiry import expire_coupons, remind_expiring_coupons
from .issuing import (
    claim_coupon,
    generate_codes,
    grant_compensation,
    grant_coupons,
    grant_for_feature,
    grant_from_csv,
    normalize_code,
    redeem_code,
    shoppers_from_csv,
    validity,
)
from .templates import save_template, stop_template, template_problems
from .using import lock_for_order, release_for_order, return_on_full_refund

__all__ = [
    "claim_coupon",
    "expire_coupons",
    "generate_codes",
    "grant_compensation",
    "grant_coupons",
    "grant_for_feature",
    "grant_from_csv",
    "lock_for_order",
    "normalize_code",
    "redeem_code",
    "release_for_order",
    "remind_expiring_coupons",
    "return_on_full_refund",
    "save_template",
    "shoppers_from_csv",
    "stop_template",
    "template_problems",
    "validity",
]
