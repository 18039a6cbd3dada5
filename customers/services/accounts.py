"""Writes for accounts and address books. Views and the admin call these, never the ORM."""

from django.db import transaction
from django.utils import timezone

from mall.jobs import enqueue

from ..models import Address, Notification, User


@transaction.atomic
def register_shopper(
    *,
    password: str,
    phone: str | None = None,
    email: str | None = None,
    display_name: str = "",
    birthday=None,
    marketing_consent: bool = False,
) -> User:
    """Create a shopper account that signs in with ``phone`` or ``email``.

    The caller has validated the input (``RegistrationForm``); the database's unique and
    check constraints remain the final guard against duplicates. Marketing consent is
    recorded with its time, because consent must be provable.
    """
    return User.objects.create_user(
        email=email or None,
        phone=phone or None,
        password=password,
        display_name=display_name,
        birthday=birthday,
        marketing_consent=marketing_consent,
        marketing_consent_at=timezone.now() if marketing_consent else None,
    )


@transaction.atomic
def update_profile(*, user: User, **fields) -> User:
    """Change a user's own profile fields (cleaned by ``ProfileForm``: an empty phone or
    email is ``None``). Giving or withdrawing consent moves the consent timestamp."""
    # Compare with the stored consent, not the instance: a ModelForm bound to ``user`` has
    # already copied the new value onto it during validation.
    stored_consent = (
        User.objects.select_for_update().values_list("marketing_consent", flat=True).get(pk=user.pk)
    )
    consent = fields.get("marketing_consent", stored_consent)
    if consent != stored_consent:
        user.marketing_consent_at = timezone.now() if consent else None
    for name, value in fields.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save()
    return user


def _make_only_default(address: Address) -> None:
    Address.objects.filter(user_id=address.user_id, is_default=True).exclude(pk=address.pk).update(
        is_default=False
    )


@transaction.atomic
def save_address(*, user: User, address: Address) -> Address:
    """Save a new or edited address in ``user``'s book.

    The first address becomes the default; an address marked default takes the mark
    from the previous one; the default address stays default when edited. Raises
    ``PermissionError`` for someone else's address.
    """
    if address.pk and address.user_id != user.pk:
        raise PermissionError("That address belongs to another account.")
    address.user = user
    # Serialize concurrent edits of one book, so that two "make default" saves cannot
    # both pass the one-default check.
    User.objects.select_for_update().filter(pk=user.pk).first()
    others = Address.objects.filter(user=user).exclude(pk=address.pk)
    was_default = address.pk and Address.objects.filter(pk=address.pk, is_default=True).exists()
    # A book with addresses always has exactly one default: the first address takes it,
    # and the default is moved by marking another address, never by unmarking this one.
    if was_default or not others.exists():
        address.is_default = True
    if address.is_default:
        _make_only_default(address)
    address.full_clean(exclude=["user"])
    address.save()
    return address


@transaction.atomic
def set_default_address(*, user: User, address_id: int) -> Address:
    address = Address.objects.select_for_update().get(pk=address_id, user=user)
    address.is_default = True
    _make_only_default(address)
    address.save(update_fields=["is_default", "updated_at"])
    return address


@transaction.atomic
def delete_address(*, user: User, address_id: int) -> None:
    """Delete an address; if it was the default, the most recent other one inherits it."""
    address = Address.objects.select_for_update().get(pk=address_id, user=user)
    was_default = address.is_default
    address.delete()
    if was_default:
        successor = Address.objects.filter(user=user).order_by("-updated_at").first()
        if successor is not None:
            successor.is_default = True
            successor.save(update_fields=["is_default", "updated_at"])


def notify(*, user: User, title: str, body: str = "", link: str = "", email: bool = True):
    """Tell a shopper something: a message on their account page, and an email (sent by
    a Celery task after commit, so a rolled-back action sends nothing) when ``email`` and
    they have an address. ``link`` is a path in the shop (``/orders/…/``). Returns the
    ``Notification``. Runs in the caller's transaction."""
    notification = Notification.objects.create(
        user=user, title=title[:120], body=body, link=link[:200]
    )
    if email and user.email:
        enqueue("customers.tasks.email_notification", notification.pk)
    return notification


def mark_notifications_read(*, user: User) -> int:
    """Everything the shopper has seen on their messages page is read; returns how many."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
