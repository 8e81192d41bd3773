app_name = "feedback"

from .web.urls import urlpatterns  # noqa: E402

__all__ = ["app_name", "urlpatterns"]
