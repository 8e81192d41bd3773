from .evidence_web import urls as evidence_urls
from .web import urls as page_urls

app_name = "rescue"

urlpatterns = [*page_urls.urlpatterns, *evidence_urls.urlpatterns]
