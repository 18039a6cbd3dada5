# Importing each module registers its ModelAdmins and pages with the admin site.
from . import campaigns, coupons, flashsales, giftcards, promotions

__all__ = ["campaigns", "coupons", "flashsales", "giftcards", "promotions"]
