from django.urls import path

from . import views

app_name = "integrations"

urlpatterns = [
    path("settings/email-templates/", views.email_template_list, name="email_templates"),
    path("settings/email-templates/new/", views.email_template_edit, name="email_template_new"),
    path("settings/email-templates/<int:template_id>/", views.email_template_edit,
         name="email_template_edit"),
    path("settings/email-templates/<int:template_id>/delete/", views.email_template_remove,
         name="email_template_delete"),
    path("settings/webhooks/", views.webhook_list, name="webhooks"),
    path("settings/webhooks/new/", views.webhook_edit, name="webhook_new"),
    path("settings/webhooks/<int:webhook_id>/", views.webhook_edit, name="webhook_edit"),
    path("settings/webhooks/<int:webhook_id>/test/", views.webhook_test, name="webhook_test"),
    path("settings/webhooks/<int:webhook_id>/rotate/", views.webhook_rotate,
         name="webhook_rotate"),
    path("settings/webhooks/<int:webhook_id>/delete/", views.webhook_remove,
         name="webhook_delete"),
]
