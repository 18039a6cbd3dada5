"""Four eyes: whoever asked for a decision may not take it.

Price changes beyond the allowed share, deep promotions, goods in review and suppliers in
review all need a second person. The services call ``check_four_eyes`` before the
transition; the admin offers the same queue ("awaiting my approval") and the same
approve / reject buttons for all of them (``mall.admin.approval``).

Who asked is either a field of the object (``PriceChange.requested_by``,
``Promotion.submitted_by``) or the person of the last transition that sent it to review,
read from its history (``asked_by``).
"""

from collections.abc import Callable

from django.db.models import OuterRef, Subquery

from mall.errors import DomainError


class SamePersonRefused(DomainError):
    """Kernel default refusal; apps pass their own (a ``CatalogError``, ...)."""


def check_four_eyes(
    *,
    actor,
    asked_by_id: int | None,
    refusal: Callable[[], Exception] = SamePersonRefused,
    system_may_decide: bool = False,
) -> None:
    """Raise ``refusal()`` when ``actor`` is the person who asked (``asked_by_id``).

    Nobody in particular asked when ``asked_by_id`` is None (a scheduled job, an import):
    anyone with the permission may then decide. An ``actor`` of None is the system: it is
    refused unless ``system_may_decide`` (a data migration or a job admitting what it
    made itself).
    """
    if actor is None:
        if not system_may_decide:
            raise refusal()
        return
    if asked_by_id is not None and actor.pk == asked_by_id:
        raise refusal()


def asked_by(history_model, transition: str, subject: str = "subject"):
    """A subquery for the person of the latest ``transition`` of each row, to annotate a
    queryset with (``.annotate(asked_by_id=asked_by(ProductStatusChange, "submit"))``)."""
    latest = history_model.objects.filter(**{subject: OuterRef("pk"), "transition": transition})
    return Subquery(latest.order_by("-at", "-pk").values("actor_id")[:1])


def asked_by_id(history_model, obj, transition: str, subject: str = "subject") -> int | None:
    """The person of the latest ``transition`` of ``obj`` (one query)."""
    return (
        history_model.objects.filter(**{subject: obj, "transition": transition})
        .order_by("-at", "-pk")
        .values_list("actor_id", flat=True)
        .first()
    )
