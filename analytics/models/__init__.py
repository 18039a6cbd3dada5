from .events import Event, OrderAttribution

__all__ = ["Event", "OrderAttribution"]
