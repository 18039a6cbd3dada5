# Importing each module registers its ModelAdmins and pages with the admin site.
from . import campaigns, channels, coupons, flashsales, giftcards, loyalty, promotions, spend

__all__ = [
    "campaigns",
    "channels",
    "coupons",
    "flashsales",
    "giftcards",
    "loyalty",
    "promotions",
    "spend",
]
