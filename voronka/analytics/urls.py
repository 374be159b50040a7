from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("reports/", views.reports_home, name="home"),
    path("reports/deals/", views.deals_view, name="deals"),
    path("reports/<slug:name>/", views.report_view, name="report"),
    path("reports/<slug:name>/export.<str:fmt>", views.export_view, name="export"),
]
