"""Staff see shoppers' contact details through one rule (mall.validators: mask_mobile and
friends; ``support.see_contact_details`` unmasks): an agent walking every support page, and
back-office staff walking every admin page, find no full mobile number, email or street."""

import re

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from mall import roles
from ops.models import AuditEvent
from tests.customers.factories import AddressFactory, UserFactory
from tests.customers.ticket_helpers import open_ticket
from tests.orders import paying
from tests.orders.aftersales_helpers import ask, delivered, staff
from tests.orders.factories import listed_sku, place

pytestmark = pytest.mark.django_db

SHOPPER_PHONE = "13912340001"
SHOPPER_EMAIL = "li.lei.private@example.com"
ADDRESS_MOBILE = "13712340002"
STREET = "文三路 512 号 7 幢"


@pytest.fixture
def shopper_with_everything():
    shopper = UserFactory(phone=SHOPPER_PHONE, email=SHOPPER_EMAIL, display_name="")
    address = AddressFactory(user=shopper, mobile=ADDRESS_MOBILE, street=STREET, is_default=True)
    order = place(user=shopper, address=address, items=[(listed_sku(stock=10), 1)])
    paying.pay(order)
    order = delivered(order)
    assert order.mobile == ADDRESS_MOBILE, "the order keeps the address's mobile"
    case = ask(order)
    ticket = open_ticket(shopper, order=order)
    return {"shopper": shopper, "address": address, "order": order, "case": case, "ticket": ticket}


def full_details_in(html: str) -> list[str]:
    # What the agent typed into a search box is theirs: not a leak.
    html = re.sub(r'<input type="search"[^>]*>', "", html).replace(f"q={SHOPPER_PHONE}", "q=")
    text = re.sub(r"\s+", " ", html)
    found = [secret for secret in (SHOPPER_PHONE, ADDRESS_MOBILE, SHOPPER_EMAIL) if secret in text]
    if "512 号 7 幢" in text:
        found.append(STREET)
    return found


def support_pages(data) -> list[str]:
    ticket, case = data["ticket"], data["case"]
    pages = [
        reverse("support:queue"),
        reverse("support:queue") + "?queue=all",
        reverse("support:queue") + f"?q={SHOPPER_PHONE}",
        reverse("support:ticket", args=[ticket.number]),
        reverse("support:follow_ups"),
        reverse("support:answers") + "?q=x",
        reverse("support_aftersales:queue"),
        reverse("support_aftersales:queue") + "?status=all",
        reverse("support_aftersales:case", args=[case.number]),
    ]
    return pages


@pytest.mark.parametrize("role", [roles.SUPPORT_AGENT])
def test_an_agent_walking_every_support_page_sees_no_full_contact_detail(
    client, shopper_with_everything, role
):
    client.force_login(staff(role))
    leaks = {}
    for url in support_pages(shopper_with_everything):
        response = client.get(url)
        assert response.status_code == 200, url
        if found := full_details_in(response.content.decode()):
            leaks[url] = found
    assert leaks == {}


def admin_pages(data) -> list[str]:
    """Every registered model's list and, where one exists, the change page of the first
    row: the admin as a whole, not a chosen few pages."""
    pages = []
    for model in admin.site._registry:
        meta = model._meta
        try:
            pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        except NoReverseMatch:
            continue
        first = model.objects.order_by("pk").first()
        if first is not None:
            pages.append(
                reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
            )
    pages.append(reverse("admin:index"))
    return pages


@pytest.mark.parametrize("role", [roles.OPERATOR, roles.WAREHOUSE, roles.ANALYST])
def test_back_office_staff_walking_every_admin_page_see_no_full_contact_detail(
    client, shopper_with_everything, role
):
    client.force_login(staff(role))
    seen, leaks = 0, {}
    for url in admin_pages(shopper_with_everything):
        response = client.get(url)
        if response.status_code != 200:
            continue  # pages the role may not open
        seen += 1
        if found := full_details_in(response.content.decode()):
            leaks[url] = found
    assert leaks == {}
    assert seen > 5


def test_an_agent_is_refused_the_admin(client, shopper_with_everything):
    client.force_login(staff(roles.SUPPORT_AGENT))
    for url in admin_pages(shopper_with_everything):
        response = client.get(url)
        assert response.status_code in (302, 403), url


def test_the_right_to_see_contact_details_shows_them_in_full(client, shopper_with_everything):
    client.force_login(staff(roles.SUPPORT_SUPERVISOR))
    case = shopper_with_everything["case"]
    page = client.get(reverse("support_aftersales:case", args=[case.number])).content.decode()
    assert SHOPPER_PHONE in page
    seen = AuditEvent.objects.get(action="contact.view_unmasked")
    assert seen.target_id == str(shopper_with_everything["shopper"].pk)
