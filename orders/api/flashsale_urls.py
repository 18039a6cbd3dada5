"""Flash-sale API endpoints (under /api/v1/)."""

urlpatterns = []
