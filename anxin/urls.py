from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from anxin.core import views as core_views
from anxin.feedback.web import public as feedback_public

admin.site.site_header = "安心 Anxin"
admin.site.site_title = "安心 Anxin"

urlpatterns = [
    path("health/", core_views.health, name="health"),
    # The short address printed in service-completion SMS: the customer types the lookup code.
    path("q/", feedback_public.lookup, name="lookup"),
    path("login/", auth_views.LoginView.as_view(template_name="core/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("anxin.api.urls")),
    path("network/", include("anxin.network.urls")),
    path("rescue/", include("anxin.rescue.urls")),
    path("workshop/", include("anxin.workshop.urls")),
    path("feedback/", include("anxin.feedback.urls")),
    path("assurance/", include("anxin.assurance.urls")),
    path("quality/", include("anxin.quality.urls")),
    path("", core_views.home, name="home"),
]
