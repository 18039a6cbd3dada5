"""The root of the shop's domain errors.

A service refuses what a person asked for by raising a ``DomainError`` (or a subclass
of its app: ``CatalogError``, ``OrderError``, ``TicketError``, ...) whose ``str()`` is a
message fit for that person, with the data behind it as attributes
(``InsufficientStock(sku, available)``). The edges turn it into what the person sees:
a form error on a page, a 400/409 in the API, a warning in an admin action. Anything
else that escapes a service is a bug and is allowed to fail loudly.
"""


class DomainError(Exception):
    """Base of every refusal a person must understand; ``str(error)`` says why."""
