from django.urls import path
from django.views.generic import RedirectView

from .main import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
]
