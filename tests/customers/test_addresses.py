"""The address book: CRUD through the pages, one default per user, object permissions."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from customers.models import Address
from tests.customers.factories import AddressFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("customers:address_list")
CREATE = reverse("customers:address_create")
ACCOUNT = reverse("customers:account")
BAD_MOBILE = "Enter a valid mainland China mobile number (11 digits, e.g. 13812345678)."


def _edit(pk):
    return reverse("customers:address_edit", args=[pk])


def _delete(pk):
    return reverse("customers:address_delete", args=[pk])


def _make_default(pk):
    return reverse("customers:address_make_default", args=[pk])


def _form(**changes):
    data = {
        "recipient": "韩梅梅",
        "mobile": "+86 139-0000-1111",
        "province": "广东省",
        "city": "深圳市",
        "district": "南山区",
        "street": "科技园路 1 号",
        "postal_code": "518000",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def _defaults(user):
    return list(Address.objects.filter(user=user, is_default=True).values_list("pk", flat=True))


def _snapshot(address):
    return Address.objects.filter(pk=address.pk).values().get()


# --- Create and edit -------------------------------------------------------------------


def test_address_pages_require_login(client):
    address = AddressFactory()

    for url in (LIST, CREATE, _edit(address.pk)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("customers:login"))
    for url in (_delete(address.pk), _make_default(address.pk)):
        assert client.post(url).status_code == 302
    assert Address.objects.filter(pk=address.pk, is_default=False).exists()


def test_first_address_becomes_the_default(shopper_client, shopper):
    response = shopper_client.post(CREATE, _form(), follow=True)

    assert response.redirect_chain == [(LIST, 302)]
    assert "The address was saved." in response.content.decode()
    address = Address.objects.get(user=shopper)
    assert address.is_default is True
    assert address.mobile == "13900001111"
    assert address.province == "广东省"
    # The province is stored in Chinese (what a parcel label carries).
    assert address.one_line == "广东省深圳市南山区科技园路 1 号"


def test_second_default_address_takes_the_mark(shopper_client, shopper):
    first = AddressFactory(user=shopper, is_default=True)

    shopper_client.post(CREATE, _form(is_default="on"))

    second = Address.objects.exclude(pk=first.pk).get(user=shopper)
    assert _defaults(shopper) == [second.pk]


def test_second_address_without_the_mark_leaves_the_default(shopper_client, shopper):
    first = AddressFactory(user=shopper, is_default=True)

    shopper_client.post(CREATE, _form())

    assert Address.objects.filter(user=shopper).count() == 2
    assert _defaults(shopper) == [first.pk]


def test_edit_address(shopper_client, shopper):
    address = AddressFactory(user=shopper, is_default=True)

    page = shopper_client.get(_edit(address.pk))
    assert page.status_code == 200
    assert page.context["form"].instance == address

    response = shopper_client.post(
        _edit(address.pk), _form(street="深南大道 9 号", is_default="on"), follow=True
    )

    assert response.redirect_chain == [(LIST, 302)]
    address.refresh_from_db()
    assert address.street == "深南大道 9 号"
    assert address.city == "深圳市"
    assert address.user == shopper
    assert Address.objects.filter(user=shopper).count() == 1


def test_edit_marking_another_address_default(shopper_client, shopper):
    first = AddressFactory(user=shopper, is_default=True)
    second = AddressFactory(user=shopper)

    shopper_client.post(_edit(second.pk), _form(is_default="on"))

    assert _defaults(shopper) == [second.pk]
    first.refresh_from_db()
    assert first.is_default is False


def test_unticking_default_on_the_default_address_keeps_it_default(shopper_client, shopper):
    default = AddressFactory(user=shopper, is_default=True)
    AddressFactory(user=shopper)

    shopper_client.post(_edit(default.pk), _form(street="新街口 1 号"))  # no is_default

    assert _defaults(shopper) == [default.pk]
    default.refresh_from_db()
    assert default.street == "新街口 1 号"


def test_address_line_keeps_the_chinese_province_in_english(shopper):
    address = AddressFactory(user=shopper, province="广东省", city="深圳市", district="南山区")
    with translation.override("en"):
        assert address.one_line.startswith("广东省深圳市南山区")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"mobile": "12345"}, "mobile", BAD_MOBILE),
        ({"mobile": "23812345678"}, "mobile", BAD_MOBILE),
        ({"recipient": ""}, "recipient", "This field is required."),
        ({"street": None}, "street", "This field is required."),
        ({"province": ""}, "province", "This field is required."),
        ({"postal_code": "31000"}, "postal_code", "A postal code has 6 digits."),
        ({"postal_code": "31000a"}, "postal_code", "A postal code has 6 digits."),
        (
            {"province": "火星"},
            "province",
            "Select a valid choice. 火星 is not one of the available choices.",
        ),
    ],
)
def test_bad_address_input_redisplays_the_form_and_writes_nothing(
    shopper_client, shopper, changes, field, message
):
    response = shopper_client.post(CREATE, _form(**changes))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert not Address.objects.exists()


def test_bad_edit_leaves_the_address_unchanged(shopper_client, shopper):
    address = AddressFactory(user=shopper, is_default=True)
    before = _snapshot(address)

    response = shopper_client.post(_edit(address.pk), _form(mobile="12345"))

    assert response.status_code == 200
    assert response.context["form"].errors["mobile"] == [BAD_MOBILE]
    assert _snapshot(address) == before


# --- Make default and delete -----------------------------------------------------------


def test_make_default(shopper_client, shopper):
    first = AddressFactory(user=shopper, is_default=True)
    second = AddressFactory(user=shopper)

    response = shopper_client.post(_make_default(second.pk), follow=True)

    assert response.redirect_chain == [(LIST, 302)]
    assert "This is now your default address." in response.content.decode()
    assert _defaults(shopper) == [second.pk]
    first.refresh_from_db()
    assert first.is_default is False


def test_deleting_the_default_passes_the_mark_to_the_latest_other(shopper_client, shopper):
    default = AddressFactory(user=shopper, is_default=True)
    older = AddressFactory(user=shopper)
    newer = AddressFactory(user=shopper)
    now = timezone.now()
    Address.objects.filter(pk=older.pk).update(updated_at=now - datetime.timedelta(days=2))
    Address.objects.filter(pk=newer.pk).update(updated_at=now - datetime.timedelta(days=1))

    response = shopper_client.post(_delete(default.pk), follow=True)

    assert response.redirect_chain == [(LIST, 302)]
    assert "The address was deleted." in response.content.decode()
    assert not Address.objects.filter(pk=default.pk).exists()
    assert _defaults(shopper) == [newer.pk]


def test_deleting_another_address_keeps_the_default(shopper_client, shopper):
    default = AddressFactory(user=shopper, is_default=True)
    other = AddressFactory(user=shopper)

    shopper_client.post(_delete(other.pk))

    assert list(Address.objects.filter(user=shopper).values_list("pk", flat=True)) == [default.pk]
    assert _defaults(shopper) == [default.pk]


def test_deleting_the_last_address(shopper_client, shopper):
    only = AddressFactory(user=shopper, is_default=True)

    shopper_client.post(_delete(only.pk))

    assert not Address.objects.filter(user=shopper).exists()
    assert "You have no saved addresses yet." in shopper_client.get(LIST).content.decode()


def test_delete_and_make_default_refuse_get(shopper_client, shopper):
    default = AddressFactory(user=shopper, is_default=True)
    other = AddressFactory(user=shopper)

    assert shopper_client.get(_delete(default.pk)).status_code == 405
    assert shopper_client.get(_make_default(other.pk)).status_code == 405
    assert _defaults(shopper) == [default.pk]
    assert Address.objects.filter(user=shopper).count() == 2


# --- Object permissions ----------------------------------------------------------------


@pytest.fixture
def someone_elses_addresses():
    owner = UserFactory()
    default = AddressFactory(user=owner, is_default=True, recipient="甲某")
    other = AddressFactory(user=owner, recipient="甲某乙")
    return owner, default, other


def test_another_users_address_is_not_found(shopper_client, someone_elses_addresses):
    _owner, default, other = someone_elses_addresses
    before = {a.pk: _snapshot(a) for a in (default, other)}

    for address in (default, other):
        assert shopper_client.get(_edit(address.pk)).status_code == 404
        assert shopper_client.post(_edit(address.pk), _form(is_default="on")).status_code == 404
        assert shopper_client.post(_delete(address.pk)).status_code == 404
        assert shopper_client.post(_make_default(address.pk)).status_code == 404
        # GET on the POST-only actions is refused before the address is even looked up.
        assert shopper_client.get(_delete(address.pk)).status_code == 405
        assert shopper_client.get(_make_default(address.pk)).status_code == 405

    assert {a.pk: _snapshot(a) for a in (default, other)} == before
    assert Address.objects.count() == 2


def test_address_list_shows_only_own_addresses(shopper_client, shopper, someone_elses_addresses):
    mine = AddressFactory(user=shopper, recipient="李雷", is_default=True)

    response = shopper_client.get(LIST)

    assert response.status_code == 200
    assert list(response.context["addresses"]) == [mine]
    content = response.content.decode()
    assert "李雷" in content
    assert "甲某" not in content
    for theirs in someone_elses_addresses[1:]:
        assert _edit(theirs.pk) not in content


# --- Database guard --------------------------------------------------------------------


def test_database_rejects_two_defaults_for_one_user():
    first = AddressFactory(is_default=True)

    with pytest.raises(IntegrityError), transaction.atomic():
        AddressFactory(user=first.user, is_default=True)

    assert _defaults(first.user) == [first.pk]
    # Other users and non-default rows are not affected by the constraint.
    AddressFactory(user=first.user, is_default=False)
    AddressFactory(is_default=True)
    assert Address.objects.filter(is_default=True).count() == 2


# --- Query counts ----------------------------------------------------------------------


def test_address_list_query_count_does_not_grow(
    shopper_client, shopper, django_assert_max_num_queries
):
    AddressFactory(user=shopper, is_default=True)
    AddressFactory.create_batch(19, user=shopper)

    with django_assert_max_num_queries(3):
        response = shopper_client.get(LIST)

    assert response.status_code == 200
    assert len(response.context["addresses"]) == 20


def test_account_page_query_count(shopper_client, shopper, django_assert_max_num_queries):
    AddressFactory(user=shopper, is_default=True)
    AddressFactory.create_batch(19, user=shopper)

    # Session and user, the default address, the three newest messages and the unread count.
    with django_assert_max_num_queries(5):
        response = shopper_client.get(ACCOUNT)

    assert response.status_code == 200
    assert response.context["default_address"].user == shopper
