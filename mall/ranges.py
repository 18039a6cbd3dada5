"""Range types for PostgreSQL constraints and queries, shared by every app."""

from django.db import models
from django.db.models import Func


class TsTzRange(Func):
    """``TSTZRANGE(start, end)``: the half-open period ``[start, end)`` of two datetime
    columns, for exclusion constraints that keep periods of one thing from overlapping
    (a SKU's prices, a SKU's flash sales)."""

    function = "TSTZRANGE"
    output_field = models.Field()
