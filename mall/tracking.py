"""Analytics events from the floors below analytics, through one hook.

The shop knows things as they happen (a product page shown, a cart line added, an order
placed, paid or refunded), but the apps that know them sit below ``analytics`` and may
not import it. They call ``record_event("cart_add", sku_id=..., quantity=...)``; the
analytics app registers the one sink that stamps the visit (visitor, session, campaign)
and queues the event (``analytics.services.collection``). With no sink registered (a
script, a test of a lower app) an event goes nowhere.

A sink never breaks the business action that recorded the event: whatever it raises is
logged and swallowed here.
"""

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

EventSink = Callable[[str, dict], None]
_sinks: list[EventSink] = []


def register_event_sink(sink: EventSink) -> EventSink:
    """Send every recorded event to ``sink(name, properties)`` (once, however often
    registered)."""
    if sink not in _sinks:
        _sinks.append(sink)
    return sink


def record_event(name: str, **properties) -> None:
    """Hand the event ``name`` with ``properties`` (ids, counts, amounts: JSON-friendly
    values) to the registered sinks. Never raises."""
    for sink in _sinks:
        try:
            sink(name, properties)
        except Exception:
            logger.exception("analytics event %s not recorded", name)
