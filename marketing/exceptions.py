"""Domain errors of marketing, with the data a shopper or an operator needs; each has a
stable ``code`` for the API."""

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from orders.exceptions import OrderError

# --- Errors ----------------------------------------------------------------------------------


class FlashSaleError(OrderError):
    """A flash-sale action refused; ``str(error)`` speaks to the shopper or operator and
    ``code`` is a stable word for the API."""

    code = "refused"


class FlashSaleInvalid(FlashSaleError):
    """A sale cannot be scheduled as asked; ``problems`` lists every reason."""

    code = "invalid"

    def __init__(self, problems: list[str]):
        self.problems = [str(problem) for problem in problems]
        super().__init__(" ".join(self.problems))


class SaleNotStarted(FlashSaleError):
    code = "not_started"

    def __init__(self, starts_at):
        self.starts_at = starts_at
        when = date_format(timezone.localtime(starts_at), "Y-m-d H:i")
        super().__init__(_("This flash sale starts at %(when)s.") % {"when": when})


class SaleEnded(FlashSaleError):
    code = "ended"

    def __init__(self):
        super().__init__(_("This flash sale has ended."))


class SoldOut(FlashSaleError):
    code = "sold_out"

    def __init__(self):
        super().__init__(_("Sold out: every unit of this flash sale has been claimed."))


class NotEnoughLeft(FlashSaleError):
    code = "not_enough"

    def __init__(self, left: int):
        self.left = left
        super().__init__(
            _("Only %(left)s left in this flash sale: please ask for fewer.") % {"left": left}
        )


class NotYourAddress(FlashSaleError):
    code = "address"

    def __init__(self):
        super().__init__(_("Choose one of your own addresses."))


class OverLimit(FlashSaleError):
    """More than the per-shopper limit, or the shopper already holds units of the sale
    (one live order per shopper and sale)."""

    code = "over_limit"

    def __init__(self, limit: int, *, holding: bool = False):
        self.limit = limit
        self.holding = holding
        if holding:
            message = _(
                "You already have an order from this flash sale (at most %(limit)s per "
                "shopper). Cancelling it lets you buy again."
            )
        else:
            message = _("At most %(limit)s per shopper in this flash sale.")
        super().__init__(message % {"limit": limit})


# --- Promotions, coupons, gift cards -----------------------------------------------------------


class MarketingError(OrderError):
    """A promotion, coupon or gift-card action refused; ``str(error)`` speaks to the
    person who asked."""

    code = "refused"


class PromotionInvalid(MarketingError):
    """A promotion cannot be saved or submitted as it is; ``problems`` lists every
    reason."""

    code = "invalid"

    def __init__(self, problems: list[str]):
        self.problems = [str(problem) for problem in problems]
        super().__init__(" ".join(self.problems))


class CouponRefused(MarketingError):
    """A coupon cannot be claimed, granted, redeemed or used; ``problems`` lists every
    reason (one, mostly)."""

    def __init__(self, problems, *, code: str = "refused"):
        self.problems = [str(problem) for problem in problems]
        self.code = code
        super().__init__(" ".join(self.problems))


class GiftCardRefused(MarketingError):
    def __init__(self, message, *, code: str = "refused"):
        self.code = code
        super().__init__(message)


# --- Campaigns ----------------------------------------------------------------------------------


class CampaignInvalid(MarketingError):
    """A campaign cannot be saved, submitted, approved or closed as asked; ``problems``
    lists every reason."""

    code = "invalid"

    def __init__(self, problems: list[str]):
        self.problems = [str(problem) for problem in problems]
        super().__init__(" ".join(self.problems))


class BudgetExhausted(MarketingError):
    """A booking does not fit in what is left of a campaign's budget."""

    code = "budget_exhausted"

    def __init__(self, campaign, amount):
        self.campaign = campaign
        self.amount = amount
        super().__init__(
            _("The budget of the campaign “%(campaign)s” cannot take %(amount)s more.")
            % {"campaign": campaign, "amount": amount}
        )


# --- Membership and points ---------------------------------------------------------------------


class MembershipError(MarketingError):
    """A membership action refused (no tier configured, a staff account)."""


class PointsRefused(MarketingError):
    """Points cannot be moved as asked; ``balance`` is what the shopper has."""

    def __init__(self, message, *, code: str = "refused", balance: int | None = None):
        self.code = code
        self.balance = balance
        super().__init__(message)


class SpendInvalid(CampaignInvalid):
    """Channel spend cannot be recorded or imported as given; ``problems`` lists every
    reason (for a file, every bad row with its line number)."""

    code = "spend_invalid"
