import pytest

from tests.customers.factories import UserFactory


@pytest.fixture
def shopper(db):
    return UserFactory(phone="13812345678", email="li.lei@example.com")


@pytest.fixture
def shopper_client(client, shopper):
    client.force_login(shopper)
    return client
