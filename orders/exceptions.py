"""Domain errors of orders, with the data a shopper or an operator needs."""

from django.utils.translation import gettext as _

from mall.errors import DomainError


class OrderError(DomainError):
    """Base: ``str(error)`` is a message fit for a shopper or an operator."""


class CartError(OrderError):
    """A cart change that cannot be made (not on sale, quantity out of range, ...)."""


class OrderRefused(OrderError):
    """The order cannot be placed as asked; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(str(problem) for problem in problems))


class TotalChanged(OrderError):
    """The total moved between the checkout page and the submit (a price changed)."""

    def __init__(self, expected, actual):
        self.expected = expected
        self.actual = actual
        super().__init__(
            _("The total is now %(actual)s instead of %(expected)s: please check the order.")
            % {"actual": actual, "expected": expected}
        )


class PaymentRefused(OrderError):
    """A payment cannot start: the order is paid, cancelled or past its deadline, or the
    payment method is not available. The message says which, for the shopper."""


class RefundRefused(OrderError):
    """A refund cannot be made as asked (more than is left of the payment, nothing was
    paid, a key reused for another refund); ``refundable`` is what is left."""

    def __init__(self, message, *, refundable=None):
        self.refundable = refundable
        super().__init__(message)


class AfterSalesError(OrderError):
    """An after-sales step that cannot be done as asked; ``str(error)`` says why, for a person."""


class AfterSalesRefused(AfterSalesError, OrderRefused):
    """A request or an inspection that cannot be accepted; ``problems`` lists every reason."""


class FulfilmentError(OrderError):
    """A fulfilment step that cannot be done as asked; the message says why."""


class PackingMismatch(FulfilmentError):
    """What was scanned is not what the shipment holds; ``problems`` lists every
    difference (missing, short, too many, not in this shipment)."""

    def __init__(self, shipment, problems: list[str]):
        self.shipment = shipment
        self.problems = problems
        super().__init__(
            _("Shipment %(number)s does not match: %(problems)s")
            % {"number": shipment.number, "problems": " ".join(problems)}
        )


class LogisticsError(OrderError):
    """A case resolution that cannot be done as asked; the message says why."""
