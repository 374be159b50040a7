from django.urls import path

from . import views

app_name = "forecast"

urlpatterns = [
    path("forecast/", views.prospect_view, name="prospect"),
    path("forecast/plans/", views.plan_list, name="plans"),
    path("forecast/plans/<int:plan_id>/delete/", views.plan_delete, name="plan_delete"),
    path("forecast/model/", views.model_view, name="model"),
]
