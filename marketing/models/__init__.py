from .applied import AppliedOffer
from .campaigns import (
    CAMPAIGN_MACHINE,
    GRANTING,
    Campaign,
    CampaignSpend,
    CampaignStatusChange,
)
from .channels import Channel, ChannelAgreement, ChannelSpend, ChannelSpendImport, Placement
from .coupons import Coupon, CouponBatch, CouponTemplate, CouponUse
from .flashsales import FlashSale, FlashSaleClaim
from .giftcards import GiftCard, GiftCardEntry
from .loyalty import Membership, PointsAccount, PointsEntry, PointsReminder, Tier, TierChange
from .promotions import (
    APPROVED,
    GROUP_OF,
    PROMOTION_MACHINE,
    PricingRulesVersion,
    Promotion,
    PromotionStatusChange,
    PromotionTier,
    new_token,
)

__all__ = [
    "APPROVED",
    "CAMPAIGN_MACHINE",
    "GRANTING",
    "GROUP_OF",
    "PROMOTION_MACHINE",
    "AppliedOffer",
    "Campaign",
    "CampaignSpend",
    "CampaignStatusChange",
    "Channel",
    "ChannelAgreement",
    "ChannelSpend",
    "ChannelSpendImport",
    "Coupon",
    "CouponBatch",
    "CouponTemplate",
    "CouponUse",
    "FlashSale",
    "FlashSaleClaim",
    "GiftCard",
    "GiftCardEntry",
    "Membership",
    "Placement",
    "PointsAccount",
    "PointsEntry",
    "PointsReminder",
    "PricingRulesVersion",
    "Promotion",
    "PromotionStatusChange",
    "PromotionTier",
    "Tier",
    "TierChange",
    "new_token",
]
