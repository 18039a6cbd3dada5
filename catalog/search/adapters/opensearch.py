"""The OpenSearch / Elasticsearch backend, for a catalogue that outgrows PostgreSQL full
text. Documents are analysed by a Chinese analyzer in the server (IK: ``ik_max_word`` for
documents, ``ik_smart`` for queries; or ``smartcn``, ``MALL_SEARCH_ANALYZER``); the plan's
words and alternatives (synonyms, pinyin readings) come from the shared understanding.
Filters and sorts use the same stored fields as the PostgreSQL backend. Only the ids of
one page travel back; the pages read the goods from PostgreSQL as usual.
"""

from django.conf import settings

from ...models import Product
from ...selectors.categories import category_tree
from ..base import COUNT_CAP, Hits, Plan

SORTS = {
    "newest": [{"listed_at": "desc"}, {"id": "desc"}],
    "price": [{"price_min": {"order": "asc", "missing": "_last"}}, {"id": "desc"}],
    "-price": [{"price_max": {"order": "desc", "missing": "_last"}}, {"id": "desc"}],
    "name": [{"name.raw": "asc"}, {"id": "asc"}],
}


def _analyzers() -> tuple[str, str]:
    name = getattr(settings, "MALL_SEARCH_ANALYZER", "ik")
    return ("smartcn", "smartcn") if name == "smartcn" else ("ik_max_word", "ik_smart")


class OpenSearchSearch:
    def __init__(self, url: str, *, index: str):
        from opensearchpy import OpenSearch

        self.client = OpenSearch(url, timeout=5)
        self.index_name = index

    def mapping(self) -> dict:
        indexing, searching = _analyzers()
        text = {"type": "text", "analyzer": indexing, "search_analyzer": searching}
        return {
            "mappings": {
                "properties": {
                    "name": {**text, "fields": {"raw": {"type": "keyword"}}},
                    "details": text,
                    "description": text,
                    "category_ids": {"type": "long"},
                    "price_min": {"type": "scaled_float", "scaling_factor": 100},
                    "price_max": {"type": "scaled_float", "scaling_factor": 100},
                    "listed_at": {"type": "date"},
                }
            }
        }

    def ensure_index(self) -> None:
        if not self.client.indices.exists(index=self.index_name):
            self.client.indices.create(index=self.index_name, body=self.mapping())

    def index(self, product_ids) -> None:
        from opensearchpy.helpers import bulk

        self.ensure_index()
        tree = category_tree()
        actions = []
        goods = Product.objects.filter(pk__in=list(product_ids))
        listed = set()
        for p in goods.filter(status=Product.Status.LISTED):
            listed.add(p.pk)
            lineage = tree.lineage(p.category) if p.category_id in tree.by_id else []
            details = " ".join(
                [p.brand, p.subtitle, p.origin]
                + [str(v) for v in (p.attributes or {}).values() if not isinstance(v, bool)]
            )
            actions.append(
                {
                    "_index": self.index_name,
                    "_id": p.pk,
                    "_source": {
                        "name": p.name,
                        "details": details,
                        "description": p.description,
                        "category_ids": [c.pk for c in lineage],
                        "price_min": float(p.price_min) if p.price_min is not None else None,
                        "price_max": float(p.price_max) if p.price_max is not None else None,
                        "listed_at": p.listed_at.isoformat() if p.listed_at else None,
                    },
                }
            )
        for pk in set(product_ids) - listed:
            actions.append({"_op_type": "delete", "_index": self.index_name, "_id": pk})
        bulk(self.client, actions, raise_on_error=False, refresh="wait_for")

    def _query(self, plan: Plan, filters: dict) -> dict:
        def group_query(group):
            return {
                "bool": {
                    "should": [
                        {
                            "multi_match": {
                                "query": word,
                                "fields": ["name^10", "details^4", "description"],
                                "operator": "and",
                            }
                        }
                        for word in group.alternatives
                    ]
                }
            }

        groups = [group_query(g) for g in plan.groups]
        must = {"bool": {"should": groups}} if plan.any_group else {"bool": {"must": groups}}
        phrase = {"match_phrase": {"name": {"query": "".join(plan.words), "boost": 10}}}
        wanted = (
            [{"term": {"category_ids": filters["category"].pk}}] if filters.get("category") else []
        )
        price = {}
        if filters.get("price_min") is not None:
            price["gte"] = float(filters["price_min"])
        if filters.get("price_max") is not None:
            price["lte"] = float(filters["price_max"])
        if price:
            wanted.append({"range": {"price_min": price}})
        return {"bool": {"must": [must], "should": [phrase], "filter": wanted}}

    def hits(self, plan: Plan, *, filters: dict, sort: str, offset: int, limit: int) -> Hits:
        body = {
            "query": self._query(plan, filters),
            "from": offset,
            "size": limit,
            "_source": False,
            "track_total_hits": COUNT_CAP + 1,
        }
        if sort in SORTS:
            body["sort"] = SORTS[sort]
        answer = self.client.search(index=self.index_name, body=body)
        total = answer["hits"]["total"]["value"]
        return Hits(ids=[int(h["_id"]) for h in answer["hits"]["hits"]], total=total)
