"""A shopper's own data: everything the shop keeps about them as one JSON download, and
the closing of their account.

Closing erases or anonymises the personal data and keeps what accounting must keep: the
orders (numbers, lines, amounts, payments, refunds, the province and city of delivery)
stay, without name, mobile, street or tax number; the account can no longer sign in and
carries no contact detail. It lives in ops because it reaches every floor (orders,
customer service, reviews); nothing below imports it.
"""

import json

from django.contrib.auth import logout
from django.contrib.auth.hashers import make_password
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import ProductReview
from customers.models import Address, Notification, User
from customers.support.models import Ticket, TicketAttachment, TicketMessage
from mall import audit
from mall.errors import DomainError
from orders.models import AfterSalesCase, Order

FINAL = {Order.Status.COMPLETED, Order.Status.CANCELLED, Order.Status.CLOSED}
ERASED = "—"


class CannotClose(DomainError):
    pass


def personal_data(user: User) -> dict:
    """Everything kept about ``user``, as plain data (the download)."""
    orders = Order.objects.filter(user=user).prefetch_related("lines").order_by("placed_at")
    return {
        "exported_at": timezone.now(),
        "profile": {
            "phone": user.phone,
            "email": user.email,
            "display_name": user.display_name,
            "birthday": user.birthday,
            "marketing_consent": user.marketing_consent,
            "marketing_consent_at": user.marketing_consent_at,
            "date_joined": user.date_joined,
        },
        "addresses": list(
            Address.objects.filter(user=user).values(
                "recipient", "mobile", "province", "city", "district", "street", "postal_code"
            )
        ),
        "orders": [
            {
                "number": order.number,
                "status": order.status,
                "placed_at": order.placed_at,
                "total": order.total,
                "delivery": {
                    "recipient": order.recipient,
                    "mobile": order.mobile,
                    "address": f"{order.province}{order.city}{order.district}{order.street}",
                },
                "invoice": {"title": order.invoice_title, "tax_number": order.tax_number},
                "lines": [
                    {
                        "product": line.product_name,
                        "quantity": line.quantity,
                        "price": line.unit_price,
                    }
                    for line in order.lines.all()
                ],
            }
            for order in orders
        ],
        "after_sales": list(
            AfterSalesCase.objects.filter(user=user).values(
                "number", "kind", "reason", "status", "description", "created_at"
            )
        ),
        "service_requests": [
            {
                "number": ticket.number,
                "subject": ticket.subject,
                "status": ticket.status,
                "messages": [
                    {"at": message.created_at, "body": message.body}
                    for message in ticket.messages.all()
                    if not message.internal
                ],
            }
            for ticket in Ticket.objects.filter(shopper=user).prefetch_related("messages")
        ],
        "reviews": list(
            ProductReview.objects.filter(user=user).values("product__name", "rating", "text")
        ),
        "messages": list(
            Notification.objects.filter(user=user).values("title", "body", "created_at")
        ),
    }


def personal_data_json(*, user: User) -> str:
    """The download: ``personal_data`` as JSON; the export is audited."""
    audit.record("privacy.export", actor=user, target=user)
    return json.dumps(personal_data(user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


@transaction.atomic
def close_account(*, request, user: User, password: str) -> None:
    """Close ``user``'s account: their personal data erased or anonymised, the orders
    kept for accounting without it, the account unable to sign in, the session ended.

    Raises ``CannotClose`` for a wrong password or while an order is still under way
    (it must be completed or cancelled first: the shop may still owe or ship them
    something). Nothing changes when it raises."""
    if not user.check_password(password):
        raise CannotClose(_("The password is not right."))
    user = User.objects.select_for_update().get(pk=user.pk)
    open_orders = Order.objects.filter(user=user).exclude(status__in=FINAL)
    if open_orders.exists():
        raise CannotClose(
            _("Your account can be closed once every order is completed or cancelled.")
        )
    Order.objects.filter(user=user).update(
        recipient=ERASED,
        mobile="",
        district="",
        street="",
        postal_code="",
        invoice_title="",
        tax_number="",
    )
    Address.objects.filter(user=user).delete()
    Notification.objects.filter(user=user).delete()
    AfterSalesCase.objects.filter(user=user).update(description="")
    for attachment in TicketAttachment.objects.filter(message__author=user):
        attachment.file.delete(save=False)
    TicketAttachment.objects.filter(message__author=user).delete()
    TicketMessage.objects.filter(author=user).update(body=_("(removed when the account closed)"))
    User.objects.filter(pk=user.pk).update(
        phone=None,
        email=f"closed-{user.pk}@closed.invalid",
        display_name="",
        birthday=None,
        marketing_consent=False,
        marketing_consent_at=None,
        is_active=False,
        password=make_password(None),  # unusable: no password signs in
    )
    audit.record("privacy.account_closed", actor=user, target=user)
    logout(request)
