"""The audit hook every floor may call: ``audit.record(...)`` says that someone did
something the audit trail must keep (an export, a download, a view of unmasked contact
details, a service action on money, stock, prices or roles). The kernel only sends the
``audited`` signal; ops (the top floor) listens and writes the append-only record, so no
lower floor imports ops.

Row changes of money, stock, prices and staff flags are also caught by database
triggers (django-pghistory in ops), raw SQL included; this hook adds what no row change
shows (a download, a look at a phone number) and names the business action."""

import contextvars

from django.dispatch import Signal

# sender: the module doing it; kwargs: action, actor, target, data
audited = Signal()

# The person behind the current request (set by ops' middleware) for records made deep
# in a service that was not handed the actor.
current_actor: contextvars.ContextVar = contextvars.ContextVar("mall_audit_actor", default=None)
current_address: contextvars.ContextVar = contextvars.ContextVar("mall_audit_address", default="")


def acting_user():
    """The signed-in user of the current request, or None. The request's lazy user is
    read only now, so a request that records nothing never loads it (a flash sale's
    losing crowd runs no SQL at all)."""
    user = current_actor.get()
    return user if user is not None and user.is_authenticated else None


def record(action: str, *, actor=None, target=None, sender=None, **data) -> None:
    """Keep ``action`` ("price.change_requested", "export.download", ...) by ``actor``
    (a user; the current request's when not given) on ``target`` (a model instance or
    None) with ``data`` (JSON-able details). Never raises into the caller's work."""
    if actor is None:
        actor = acting_user()
    audited.send(sender=sender or record, action=action, actor=actor, target=target, data=data)
