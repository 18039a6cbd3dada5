"""Counting that costs the same whatever the table's size: ``CappedPaginator``."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

# Counts stop here: "1,000+" costs the same whatever the catalog's size, and nobody pages
# past the first thousand (a shopper narrows the filters instead).
COUNT_CAP = 1000


class CappedPaginator(Paginator):
    """A paginator that counts at most ``COUNT_CAP + 1`` rows and pages through the
    first ``COUNT_CAP``. ``total`` is the capped count (``capped`` when there are more);
    ``count`` what can be paged through. The count selects only primary keys, without
    ordering or annotations, so an index alone can answer it.

    ``total`` may be given (a search backend counted already)."""

    def __init__(self, object_list, per_page, *, total=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._total = total

    @cached_property
    def total(self) -> int:
        if self._total is not None:
            return self._total
        return self.object_list.order_by().values("pk")[: COUNT_CAP + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.total, COUNT_CAP)

    @property
    def capped(self) -> bool:
        return self.total > COUNT_CAP
