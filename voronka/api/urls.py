from django.urls import path
from django.views.generic import RedirectView

from . import views
from .main import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
    path("api/tokens/", views.tokens, name="api_tokens"),
    path("api/tokens/<int:pk>/revoke/", views.token_revoke, name="api_token_revoke"),
]
