"""The storefront's frame: home, search and cart pages.

The catalog and order issues fill these with goods and cart lines; until then they
show the honest empty state a shopper would see in a shop with nothing listed.
"""

from django.shortcuts import render


def home(request):
    return render(request, "storefront/home.html")


def search(request):
    query = request.GET.get("q", "").strip()[:100]
    return render(request, "storefront/search.html", {"query": query, "results": []})


def cart(request):
    return render(request, "storefront/cart.html", {"lines": []})
