"""One pattern for every state machine in mall (goods admission, suppliers, orders, ...).

A model's machine is a table of named transitions next to the model::

    PRODUCT_MACHINE = Machine(
        Transition("submit", sources={"draft", "rejected"}, target="submitted"),
        Transition("approve", sources={"submitted"}, target="approved"),
        ...
    )

A service performs a transition with :func:`transition`, which locks the row, checks the
table, saves the new state and writes one history row (who, when, from, to, why). An
illegal transition raises :class:`IllegalTransition` with a message a person understands.

We keep this small kernel rather than django-fsm-2: transitions here are services (with
their own checks, side effects and transactions), not decorated model methods, and the
history row is part of the contract, not an add-on.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import DomainError
from .labels import Label


class IllegalTransition(DomainError):
    """A transition that the machine's table does not allow from the current state."""

    def __init__(self, instance, transition: "Transition", current: str, allowed: Iterable[str]):
        self.instance = instance
        self.name = transition.name
        self.current = current
        self.allowed = sorted(allowed)
        state = getattr(instance, "get_status_display", lambda: current)()
        super().__init__(
            _("“%(action)s” is not possible while %(object)s is “%(state)s”.")
            % {"action": transition.label, "object": instance, "state": state}
        )


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    label: str  # what a person calls it, translatable: "submit for review"

    def __init__(self, name: str, *, sources: Iterable[str], target: str, label=None):
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "sources", frozenset(sources))
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "label", label or name.replace("_", " "))


class Machine:
    """The table of allowed transitions of one model's ``status`` field."""

    def __init__(self, *transitions: Transition, field: str = "status"):
        self.field = field
        self.transitions = {t.name: t for t in transitions}
        if len(self.transitions) != len(transitions):
            raise ValueError("Transition names must be unique within a machine.")

    def __getitem__(self, name: str) -> Transition:
        return self.transitions[name]

    def allowed_from(self, state: str) -> list[str]:
        """Names of the transitions allowed from ``state``, for menus and admin actions."""
        return [name for name, t in self.transitions.items() if state in t.sources]

    def can(self, instance, name: str) -> bool:
        return getattr(instance, self.field) in self.transitions[name].sources

    def check(self, instance, name: str) -> Transition:
        transition_ = self.transitions[name]
        current = getattr(instance, self.field)
        if current not in transition_.sources:
            raise IllegalTransition(instance, transition_, current, self.allowed_from(current))
        return transition_


class TransitionRecord(models.Model):
    """Base for the history rows of a machine: one row per transition performed.

    Concrete subclasses add the foreign key to their subject, named ``subject``.
    """

    transition = models.CharField(_("transition"), max_length=40)
    from_state = models.CharField(_("from"), max_length=30)
    to_state = models.CharField(_("to"), max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty when the system acted (a scheduled job)."),
    )
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.from_state} → {self.to_state} ({self.transition})"

    @property
    def reason_text(self) -> str:
        """The reason in the reader's language (see ``stored_reason``)."""
        return reason_text(self.reason)


# A reason written by the system is kept as a message id with its parameters (a
# ``mall.labels.Label`` as JSON in the reason column) and translated when read, so that an
# English page never shows a Chinese note and amounts read as money ("¥4,937.80"). A
# reason a person typed, and every row written before, is shown as it was stored.
_LABEL_MARK = '{"msgid":'


def stored_reason(reason: "str | Label") -> str:
    if isinstance(reason, Label):
        return json.dumps(reason.to_json(), ensure_ascii=False)
    return str(reason)


def reason_text(stored: str) -> str:
    if stored.startswith(_LABEL_MARK):
        try:
            return Label.from_json(json.loads(stored)).render()
        except (ValueError, KeyError, TypeError):
            return stored
    return stored


def transition(
    instance: models.Model,
    machine: Machine,
    name: str,
    *,
    history: type[TransitionRecord],
    actor=None,
    reason: "str | Label" = "",
    update_fields: Iterable[str] = (),
):
    """Perform transition ``name`` on ``instance`` and record it; return the instance.

    Locks the row first (``select_for_update``), so that two concurrent transitions of
    one object are serialized and the second sees the first's result. ``update_fields``
    names further fields the caller changed on ``instance`` to save with the state.
    ``reason`` is a ``Label`` where the system speaks (stored as its message id and
    parameters, read in each reader's language) or what a person typed.
    Raises ``IllegalTransition`` when the current state does not allow ``name``.
    """
    with transaction.atomic():
        locked = type(instance).objects.select_for_update().get(pk=instance.pk)
        setattr(instance, machine.field, getattr(locked, machine.field))
        step = machine.check(instance, name)
        from_state = getattr(instance, machine.field)
        setattr(instance, machine.field, step.target)
        fields = {machine.field, *update_fields}
        if hasattr(instance, "status_changed_at"):
            instance.status_changed_at = timezone.now()
            fields.add("status_changed_at")
        instance.save(update_fields=sorted(fields))
        history.objects.create(
            subject=instance,
            transition=name,
            from_state=from_state,
            to_state=step.target,
            actor=actor,
            reason=stored_reason(reason),
        )
    return instance
