# Importing each module registers its ModelAdmins and pages with the admin site.
from . import coupons, flashsales, giftcards, loyalty, promotions

__all__ = ["coupons", "flashsales", "giftcards", "loyalty", "promotions"]
