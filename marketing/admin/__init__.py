# Importing each module registers its ModelAdmins and pages with the admin site.
from . import coupons, flashsales, giftcards, promotions

__all__ = ["coupons", "flashsales", "giftcards", "promotions"]
