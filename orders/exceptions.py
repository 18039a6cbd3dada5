"""Domain errors of orders, with the data a shopper or an operator needs."""

from django.utils.translation import gettext as _


class OrderError(Exception):
    """Base: ``str(error)`` is a message fit for a shopper or an operator."""


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
