"""Writes the audit trail (ops.models.AuditEvent): listens to ``mall.audit.audited``
(which every floor may send), to Django's login, logout and failed-login signals, and to
changes of staff roles (a user's groups)."""

import logging

from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed

from mall import audit
from mall.validators import mask_email, mask_mobile

from .models import AuditEvent

logger = logging.getLogger("ops.audit")


def _person(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    # Staff are named by their sign-in (the security role must know who acted); a
    # shopper only as staff may see them (masked).
    return user.get_username() if user.is_staff else str(user)


def _target(target) -> dict:
    if target is None:
        return {}
    return {
        "target_type": target._meta.label_lower,
        "target_id": str(target.pk or ""),
        "target_label": str(target)[:200],
    }


def write(action, *, actor=None, target=None, data=None) -> AuditEvent | None:
    actor = actor if getattr(actor, "is_authenticated", False) else None
    try:
        return AuditEvent.objects.create(
            actor=actor,
            actor_label=_person(actor),
            action=action,
            address=audit.current_address.get(),
            data=data or {},
            **_target(target),
        )
    except Exception:  # the trail must never break the work it records
        logger.exception("audit event %s could not be written", action)
        return None


def on_audited(sender, *, action, actor, target, data, **kwargs):
    write(action, actor=actor, target=target, data=data)


def on_login(sender, request, user, **kwargs):
    write("auth.login", actor=user, target=user)


def on_logout(sender, request, user, **kwargs):
    if user is not None:
        write("auth.logout", actor=user, target=user)


def on_login_failed(sender, credentials, request=None, **kwargs):
    identifier = str(credentials.get("username") or credentials.get("email") or "")
    masked = mask_email(identifier) if "@" in identifier else mask_mobile(identifier)
    write("auth.login_failed", data={"identifier": masked if identifier else ""})


def on_groups_changed(sender, instance, action, pk_set, model, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    names = sorted(model.objects.filter(pk__in=pk_set or ()).values_list("name", flat=True))
    what = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
    write(
        "roles.change",
        actor=audit.acting_user(),
        target=instance,
        data={what: names, "roles_now": sorted(instance.groups.values_list("name", flat=True))},
    )


def connect() -> None:
    from customers.models import User

    audit.audited.connect(on_audited, dispatch_uid="ops-audit")
    user_logged_in.connect(on_login, dispatch_uid="ops-audit-login")
    user_logged_out.connect(on_logout, dispatch_uid="ops-audit-logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="ops-audit-login-failed")
    m2m_changed.connect(on_groups_changed, sender=User.groups.through, dispatch_uid="ops-roles")
