"""Helpers for after-sales tests: delivered, paid orders (placed and paid through the real
services; the delivery is set directly, the fulfilment flow is tested on its own), staff
of each role, cases, and photos."""

import contextlib
import datetime
import io
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from mall import roles
from orders.models import AfterSalesCase, Order
from orders.services import aftersales, checkout
from tests.customers.factories import UserFactory
from tests.orders import paying
from tests.orders.factories import place

Kind = AfterSalesCase.Kind
Reason = AfterSalesCase.Reason

# The shop's test settings use this; a delivery at 20:00 local time on 1 March.
DELIVERED_AT = datetime.datetime(2026, 3, 1, 20, 0)


def local(*args) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


def delivered(order: Order, *, at=None, status=Order.Status.DELIVERED) -> Order:
    """Mark a paid order as delivered ``at`` (default: an hour ago)."""
    at = at or timezone.now() - datetime.timedelta(hours=1)
    Order.objects.filter(pk=order.pk).update(status=status, delivered_at=at)
    order.refresh_from_db()
    return order


def delivered_order(*, items, user=None, at=None, shipping_method="standard") -> Order:
    """An order of ``items`` placed, paid with the sandbox and delivered ``at``."""
    order = place(user=user, items=items, shipping_method=shipping_method)
    paying.pay(order)
    return delivered(order, at=at)


@contextlib.contextmanager
def discount(amount: str):
    """Orders placed inside get a discount of ``amount`` (as a coupon would give)."""

    def coupon(context):
        return checkout.Pricing(
            discounts=(checkout.Discount(source="test:coupon", label="券", amount=Decimal(amount)),)
        )

    checkout.register_discount_source(coupon)
    try:
        yield
    finally:
        checkout._DISCOUNT_SOURCES.remove(coupon)


def staff(role: str, **fields):
    user = UserFactory(**fields)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.set([Group.objects.get(name=role)])
    return user


def agent():
    return staff(roles.SUPPORT_AGENT)


def warehouse_clerk():
    return staff(roles.WAREHOUSE)


def operator():
    return staff(roles.OPERATOR)


def jpeg(name="photo.jpg", *, color="tomato", size=(64, 48), exif=False) -> SimpleUploadedFile:
    """A JPEG upload; with ``exif``, carrying a camera make and GPS data."""
    image = Image.new("RGB", size, color)
    buffer = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCam"  # Make
        data[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0)}  # GPS info
        image.save(buffer, "JPEG", exif=data.tobytes())
    else:
        image.save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def ask(order, *, kind=Kind.RETURN, reason=Reason.NO_REASON, units=None, photos=None, **kwargs):
    """A case of ``order`` by its shopper: all units of every line unless ``units``
    (``{order line: units}``); faulty goods get a photo unless ``photos`` says otherwise."""
    if units is None:
        units = {line: line.quantity for line in order.lines.all()}
    if photos is None:
        photos = [jpeg()] if reason in aftersales.FAULT_REASONS else []
    return aftersales.request_case(
        order=order,
        actor=order.user,
        kind=kind,
        reason=reason,
        lines=list(units.items()),
        description=kwargs.pop("description", "不合适"),
        photos=photos,
        **kwargs,
    )


def approved(case, *, by=None):
    return aftersales.approve_case(case=case, actor=by or agent()).case


def sent_back(case, *, tracking="SF1234567890"):
    return aftersales.send_back(case=case, actor=case.user, carrier="sf", tracking_number=tracking)


def inspected(case, *, by=None, results=None, note=""):
    """Receive ``case`` with every unit fit to sell again, unless ``results``."""
    if results is None:
        results = {
            line.pk: aftersales.Inspection(resaleable=line.quantity) for line in case.lines.all()
        }
    return aftersales.receive_and_inspect(
        case=case, actor=by or warehouse_clerk(), results=results, note=note
    )
