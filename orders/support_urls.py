"""Support staff's after-sales pages (the ticket view, not the admin).

Mounted by mall/urls.py with:
    path("support/after-sales/", include("orders.support_urls")),
"""

from django.urls import path

from .views import support_aftersales as views

app_name = "support_aftersales"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<str:number>/", views.case, name="case"),
    path("<str:number>/approve/", views.approve, name="approve"),
    path("<str:number>/reject/", views.reject, name="reject"),
    path("<str:number>/close/", views.close, name="close"),
]
