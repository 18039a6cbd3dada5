"""The shopper's after-sales pages and the private photos of cases.

Mounted by mall/urls.py with:
    path("after-sales/", include("orders.aftersales_urls")),
"""

from django.urls import path

from .views import aftersales

app_name = "aftersales"

urlpatterns = [
    path("", aftersales.case_list, name="case_list"),
    path("request/<str:number>/", aftersales.case_request, name="request"),
    path("<str:number>/", aftersales.case_detail, name="case_detail"),
    path("<str:number>/send-back/", aftersales.case_send_back, name="send_back"),
    path("<str:number>/withdraw/", aftersales.case_withdraw, name="withdraw"),
    path("<str:number>/photos/<int:pk>/", aftersales.case_photo, name="photo"),
]
