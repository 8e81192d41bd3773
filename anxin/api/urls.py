from django.urls import path

from .base import api
from .routes import register

register(api)

urlpatterns = [path("", api.urls)]
