"""The dispatch-deadline job on a real Celery worker (its own module: the worker needs a
clock that runs, the other dispatch tests stop it)."""

import datetime

from django.utils import timezone

from catalog.models import Warehouse
from customers.models import Notification
from orders import tasks
from orders.models import Shipment
from orders.services import fulfilment
from tests.customers.factories import UserFactory
from tests.orders.fulfilment_helpers import calm_carrier, paid_order, two_warehouse_goods


def test_the_worker_escalates_dispatch_deadlines_once(worker, transactional_db, settings):
    calm_carrier(settings)
    tea, _cup = two_warehouse_goods(stock=10)
    lead = UserFactory(roles=["warehouse"])
    Warehouse.objects.filter(code="hz").update(lead=lead)
    for _ in range(2):
        fulfilment.allocate_order(order=paid_order([(tea, 1)]))
    Shipment.objects.update(ship_by=timezone.now() - datetime.timedelta(days=1))
    first = worker.run(tasks.escalate_dispatch_deadlines)
    second = worker.run(tasks.escalate_dispatch_deadlines)
    assert first == {"escalated": 2, "overdue": 2}
    assert second == {"escalated": 0, "overdue": 2}
    assert Notification.objects.filter(user=lead).count() == 2
