# Mounted by mall/urls.py as:
#     path("help/", include("customers.help_urls")),
"""The storefront's help centre: the FAQ by category, search, one article with its
"was this helpful?" vote, and the suggestions the new-ticket form asks for while a
shopper types."""

from django.urls import path

from . import help_views as views

app_name = "help"

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    # JSON {"results": [{"title": ..., "url": ...}]}: at most 5 published articles, titles
    # in the page's language. The new-ticket form calls it; keep the contract.
    path("suggest/", views.suggest, name="suggest"),
    path("category/<slug:slug>/", views.category, name="category"),
    path("article/<int:pk>/", views.article, name="article"),
    path("article/<int:pk>/helpful/", views.vote, name="vote"),
]
