"""Domain errors of accounts."""

from django.utils.translation import gettext as _

from mall.errors import DomainError


class AccountError(DomainError):
    """Base: ``str(error)`` is a message fit for the shopper."""


class NotSignedIn(AccountError):
    """The session named a shopper, but no longer holds: signed out elsewhere, the
    password changed since, or the account closed."""

    code = "not_signed_in"

    def __init__(self):
        super().__init__(_("Your session has ended: please sign in again."))
