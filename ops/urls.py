from django.urls import path

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("accounts/my-data/", views.download_my_data, name="my_data"),
    path("accounts/close/", views.close_my_account, name="close_account"),
]
