"""Helpers for the flash-sale tests: a listed SKU with stock, sales scheduled through
the service, shoppers with addresses and signed-in sessions made in bulk."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from customers.models import Address, User
from orders.services import flashsale
from tests.orders.factories import listed_sku

BACKEND = "customers.auth.PhoneOrEmailBackend"


def sale_sku(*, price="100.00", stock=20, name="秒杀龙井"):
    return listed_sku(price=price, stock=stock, name=name)


def schedule(
    sku,
    *,
    price="59.00",
    quantity=5,
    limit=1,
    starts_in=datetime.timedelta(minutes=-1),
    lasts=datetime.timedelta(hours=1),
):
    """A sale of ``sku`` scheduled through the service; live now by default."""
    starts_at = timezone.now() + starts_in
    return flashsale.schedule_sale(
        sku=sku,
        price=Decimal(price),
        quantity=quantity,
        per_shopper_limit=limit,
        starts_at=starts_at,
        ends_at=starts_at + lasts,
        actor=None,
    )


def bulk_shoppers(count: int, *, prefix: str = "177"):
    """``count`` shoppers with one default address each, in three queries."""
    users = User.objects.bulk_create(
        [
            User(phone=f"{prefix}{n:08d}", email=f"flash{prefix}{n}@example.com", password="!")
            for n in range(count)
        ]
    )
    Address.objects.bulk_create(
        [
            Address(
                user=user,
                recipient="李四",
                mobile=f"13{n:09d}"[:11],
                province="浙江省",
                city="杭州市",
                district="西湖区",
                street=f"文三路 {n} 号",
                is_default=True,
            )
            for n, user in enumerate(users)
        ]
    )
    addresses = {a.user_id: a.pk for a in Address.objects.filter(user__in=users)}
    return users, addresses


def bulk_sessions(users) -> dict[int, str]:
    """A signed-in session per shopper, written in one INSERT: user id -> session key."""
    keys, rows = {}, []
    expires = timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    for user in users:
        store = SessionStore()
        key = store._get_new_session_key()
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: BACKEND,
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        keys[user.pk] = key
    Session.objects.bulk_create(rows)
    return keys
