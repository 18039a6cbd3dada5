"""Domain errors of the catalog, with the data a person needs to fix the cause."""

from django.utils.translation import gettext as _

from mall.errors import DomainError


class CatalogError(DomainError):
    """Base: ``str(error)`` is a message fit for an operator or a shopper."""


class SubmissionRefused(CatalogError):
    """Goods cannot enter (or stay in) the review flow; ``problems`` lists every reason and
    ``action`` names the step refused (submit, approve, list)."""

    def __init__(self, product, problems: list[str], action=None):
        self.product = product
        self.problems = problems
        self.action = action or _("submit for review")
        super().__init__(
            _("Could not %(action)s “%(object)s”: %(reason)s")
            % {"action": self.action, "object": product, "reason": "; ".join(problems)}
        )


class SupplierNotQualified(CatalogError):
    def __init__(self, supplier, problems: list[str]):
        self.supplier = supplier
        self.problems = problems
        super().__init__("; ".join(problems))


class ReasonRequired(CatalogError):
    def __init__(self):
        super().__init__(_("Give a reason: it is recorded and shown to the supplier."))


class InvalidUpload(CatalogError):
    """An uploaded file is not what it claims or is too large."""


class SpotCheckAlreadyRecorded(CatalogError):
    def __init__(self, check):
        self.check = check
        super().__init__(
            _("This spot check was already recorded as “%(result)s”.")
            % {"result": check.get_result_display()}
        )


class InsufficientStock(CatalogError):
    """Fewer units are available than asked for; ``available`` says how many are."""

    def __init__(self, sku, requested: int, available: int):
        self.sku = sku
        self.requested = requested
        self.available = available
        if available <= 0:
            message = _("“%(sku)s” is out of stock.") % {"sku": sku}
        else:
            message = _("Only %(available)s of “%(sku)s” left.") % {
                "available": available,
                "sku": sku,
            }
        super().__init__(message)


class ReservationClosed(CatalogError):
    def __init__(self, reservation):
        self.reservation = reservation
        super().__init__(
            _("This reservation is already “%(status)s”.")
            % {"status": reservation.get_status_display()}
        )


class PriceRefused(CatalogError):
    """A price change that cannot be made as asked; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


class DishonestReferencePrice(CatalogError):
    """A crossed-out "was" price above the lowest price of the 7 days before the reduced
    price began (China's rule on clearly marked prices). Carries the figures."""

    def __init__(self, sku, *, reference, lowest, since, until):
        self.sku = sku
        self.reference = reference
        self.lowest = lowest
        self.since = since
        self.until = until
        if lowest is None:
            message = _(
                "“%(sku)s” had no price between %(since)s and %(until)s, so no “was” price "
                "can be shown."
            )
        else:
            message = _(
                "The “was” price %(reference)s of “%(sku)s” is above %(lowest)s, its lowest "
                "price between %(since)s and %(until)s."
            )
        super().__init__(
            message
            % {
                "sku": sku,
                "reference": reference,
                "lowest": lowest,
                "since": _format_time(since),
                "until": _format_time(until),
            }
        )


class FourEyesRequired(CatalogError):
    """The person who asked for a decision tried to take it (``mall.approval``)."""

    def __init__(self, message=None):
        super().__init__(
            message or _("A second operator must approve this change, not the one who asked.")
        )


def _format_time(moment) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


class ReceiptRefused(CatalogError):
    """A purchase receipt cannot be booked; ``problems`` lists every reason at once, so
    the person entering the delivery can fix them all before trying again."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            _("The receipt cannot be booked: %(problems)s") % {"problems": "; ".join(problems)}
        )
