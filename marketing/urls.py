"""Marketing's pages (mounted by mall/urls.py under /flash-sales/, /coupons/ and
/membership/) and its REST API (under /api/v1/)."""

from django.urls import path

from .api import coupons as coupons_api
from .api import flashsales as flashsales_api
from .api import membership as membership_api
from .views import campaigns, coupons, flashsales, membership

flash_sale_patterns = [
    path("", flashsales.sale_list, name="list"),
    path("<int:pk>/", flashsales.buy, name="buy"),
]

coupon_patterns = [
    path("", coupons.centre, name="centre"),
    path("<int:pk>/claim/", coupons.claim, name="claim"),
    path("wallet/", coupons.wallet, name="wallet"),
    path("wallet/redeem/", coupons.redeem, name="redeem"),
    path("wallet/gift-cards/", coupons.add_gift_card, name="add_gift_card"),
]

tracked_link_patterns = [
    path("<slug:code>", campaigns.go, name="go"),
]

membership_patterns = [
    path("", membership.centre, name="centre"),
]

api_patterns = [
    path("flash-sales/", flashsales_api.FlashSaleList.as_view(), name="flash-sale-list"),
    path(
        "flash-sales/<int:pk>/",
        flashsales_api.FlashSaleDetail.as_view(),
        name="flash-sale-detail",
    ),
    path("flash-sales/<int:pk>/buy/", flashsales_api.FlashSaleBuy.as_view(), name="flash-sale-buy"),
    path("coupon-centre/", coupons_api.CouponCentre.as_view(), name="coupon-centre"),
    path("coupons/", coupons_api.Wallet.as_view(), name="coupon-wallet"),
    path("coupons/claim/", coupons_api.Claim.as_view(), name="coupon-claim"),
    path("coupons/redeem/", coupons_api.Redeem.as_view(), name="coupon-redeem"),
    path("gift-cards/", coupons_api.GiftCards.as_view(), name="gift-cards"),
    path("membership/", membership_api.MemberCentre.as_view(), name="membership"),
    path("membership/points/", membership_api.PointsHistory.as_view(), name="points-history"),
    path(
        "membership/points/<int:pk>/",
        membership_api.PointsEntryDetail.as_view(),
        name="points-entry",
    ),
]

flash_sale_urls = (flash_sale_patterns, "flashsales")
coupon_urls = (coupon_patterns, "coupons")
tracked_link_urls = (tracked_link_patterns, "tracked_links")
membership_urls = (membership_patterns, "membership")
api_urls = (api_patterns, "marketing_api")
