from django.urls import path

from . import views

app_name = "automation"

urlpatterns = [
    path("settings/automation/", views.automation_home, name="home"),
    path("settings/automation/pipelines/<int:pipeline_id>/", views.pipeline_rules,
         name="pipeline_rules"),
    path("settings/automation/pipelines/<int:pipeline_id>/rules/new/", views.rule_new,
         name="rule_new"),
    path("settings/automation/rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
    path("settings/automation/rules/<int:rule_id>/toggle/", views.rule_toggle,
         name="rule_toggle"),
    path("settings/automation/rules/<int:rule_id>/delete/", views.rule_remove,
         name="rule_delete"),
    path("settings/automation/rules/<int:rule_id>/runs/", views.rule_runs, name="rule_runs"),
]
