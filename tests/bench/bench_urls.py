"""The shop's URLs plus ``/bench/floor/<pk>/``: the framework's floor, a bare Django view
that reads one product by primary key through the whole middleware stack, measured in
the same run as the pages so that their ratio to it is honest."""

from django.http import HttpResponse
from django.urls import path

from catalog.models import Product
from mall.urls import urlpatterns as shop_urlpatterns


def floor(request, pk):
    name = Product.objects.filter(pk=pk).values_list("name", flat=True).first()
    return HttpResponse(name or "", content_type="text/plain; charset=utf-8")


urlpatterns = [path("bench/floor/<int:pk>/", floor), *shop_urlpatterns]
