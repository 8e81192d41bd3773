from .web.urls import urlpatterns

app_name = "workshop"

__all__ = ["app_name", "urlpatterns"]
