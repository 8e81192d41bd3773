from .web.urls import urlpatterns as page_urls

app_name = "assurance"

urlpatterns = [*page_urls]
