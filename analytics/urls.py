from django.urls import path

from .views import collection

app_name = "analytics"

urlpatterns = [
    path("beacon/", collection.beacon, name="beacon"),
    path("privacy/", collection.privacy, name="privacy"),
]
