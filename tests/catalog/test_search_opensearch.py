"""The OpenSearch / Elasticsearch adapter against a real server: skipped unless
MALL_SEARCH_URL names one (with the IK or smartcn analysis plugin installed)."""

import os

import pytest

from catalog.search.adapters.opensearch import OpenSearchSearch
from catalog.search.understanding import plan
from tests.catalog.factories import make_listed_product, tea_categories

URL = os.environ.get("MALL_SEARCH_URL", "")
pytestmark = [
    pytest.mark.skipif(not URL, reason="MALL_SEARCH_URL names no OpenSearch server"),
    pytest.mark.django_db,
]


def test_the_adapter_finds_goods_by_chinese_words(settings):
    settings.MALL_SEARCH_ANALYZER = os.environ.get("MALL_SEARCH_ANALYZER", "ik")
    engine = OpenSearchSearch(URL, index="mall-test-goods")
    engine.client.indices.delete(index="mall-test-goods", ignore=[404])
    tea = tea_categories()
    earphones = make_listed_product(name="SoundMax 经典降噪蓝牙耳机 Pro", category=tea)
    green = make_listed_product(name="有机高山绿茶礼盒", category=tea)
    engine.index([earphones.pk, green.pk])
    hits = engine.hits(plan("降噪耳机"), filters={}, sort="relevance", offset=0, limit=10)
    assert hits.ids[0] == earphones.pk
    hits = engine.hits(plan("绿茶"), filters={}, sort="relevance", offset=0, limit=10)
    assert hits.ids == [green.pk]
