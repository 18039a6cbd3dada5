import pytest

from catalog.models import SUPPLIER_MACHINE, Supplier, SupplierStatusChange
from mall.statemachine import IllegalTransition, Machine, Transition, transition
from mall.validators import credit_code_check_char
from tests.concurrency import race
from tests.customers.factories import UserFactory


def _supplier(code_stem="91330100MA2H0000", n=1, **fields):
    first17 = f"{code_stem}{n}"
    return Supplier.objects.create(
        name=f"供应商{n}",
        credit_code=first17 + credit_code_check_char(first17),
        contact_name="王经理",
        contact_phone="13800001111",
        **fields,
    )


def test_machine_lists_allowed_transitions():
    assert SUPPLIER_MACHINE.allowed_from("applied") == ["start_review", "terminate"]
    assert SUPPLIER_MACHINE.allowed_from("terminated") == []


def test_transition_names_must_be_unique():
    with pytest.raises(ValueError):
        Machine(
            Transition("a", sources={"x"}, target="y"), Transition("a", sources={"y"}, target="x")
        )


@pytest.mark.django_db
def test_transition_saves_state_and_records_who_when_why():
    supplier = _supplier()
    operator = UserFactory()
    transition(
        supplier,
        SUPPLIER_MACHINE,
        "start_review",
        history=SupplierStatusChange,
        actor=operator,
        reason="documents received",
    )
    supplier.refresh_from_db()
    assert supplier.status == "under_review"
    record = SupplierStatusChange.objects.get(subject=supplier)
    assert (record.transition, record.from_state, record.to_state) == (
        "start_review",
        "applied",
        "under_review",
    )
    assert record.actor == operator
    assert record.reason == "documents received"


@pytest.mark.django_db
def test_illegal_transition_is_refused_with_a_readable_message_and_changes_nothing():
    supplier = _supplier()
    with pytest.raises(IllegalTransition) as error:
        transition(supplier, SUPPLIER_MACHINE, "suspend", history=SupplierStatusChange)
    assert "suspend" in str(error.value)
    assert "Applied" in str(error.value)
    supplier.refresh_from_db()
    assert supplier.status == "applied"
    assert not SupplierStatusChange.objects.exists()


@pytest.mark.django_db
def test_a_stale_instance_is_checked_against_the_database_state():
    supplier = _supplier()
    stale = Supplier.objects.get(pk=supplier.pk)
    transition(supplier, SUPPLIER_MACHINE, "terminate", history=SupplierStatusChange)
    with pytest.raises(IllegalTransition):
        transition(stale, SUPPLIER_MACHINE, "start_review", history=SupplierStatusChange)


@pytest.mark.django_db(transaction=True)
def test_concurrent_transitions_of_one_object_happen_once():
    supplier = _supplier(n=2)
    done, refused = race(
        lambda i: transition(
            Supplier.objects.get(pk=supplier.pk),
            SUPPLIER_MACHINE,
            "start_review",
            history=SupplierStatusChange,
        ),
        6,
    )
    assert all(isinstance(error, IllegalTransition) for error in refused), refused
    assert (len(done), len(refused)) == (1, 5)
    assert SupplierStatusChange.objects.filter(subject=supplier).count() == 1
