"""Segment every product's text again (after the shop's dictionary changed) and rebuild
the vocabulary; with --backend, also load every product into the configured search
backend (OpenSearch)."""

from django.core.management.base import BaseCommand

from catalog.models import Product
from catalog.search import backend
from catalog.services import search as search_services


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--backend", action="store_true", help="also load the backend")

    def handle(self, *args, **options):
        done = search_services.reindex_goods()
        terms = search_services.rebuild_search_terms()
        self.stdout.write(f"{done} goods segmented, {terms} words in the vocabulary")
        if options.get("backend"):
            ids = list(Product.objects.values_list("pk", flat=True))
            for start in range(0, len(ids), 1000):
                backend().index(ids[start : start + 1000])
            self.stdout.write(f"{len(ids)} goods sent to the search backend")
