from django.urls import path

from . import public, views, views_setup

app_name = "capture"

urlpatterns = [
    # Public: the only CSRF-exempt endpoints; each needs its channel's key.
    path("capture/forms/<str:key>/", public.form, name="form"),
    path("capture/hooks/<str:key>/", public.webhook, name="webhook"),
    path("capture/telephony/<str:key>/", public.telephony, name="telephony"),
    # Staff screens.
    path("capture/", views.channels, name="channels"),
    path("capture/channels/new/", views_setup.channel_new, name="channel_new"),
    path("capture/channels/<int:pk>/", views.channel_detail, name="channel"),
    path("capture/channels/<int:pk>/edit/", views_setup.channel_edit, name="channel_edit"),
    path("capture/channels/<int:pk>/key/", views_setup.channel_key_rotate,
         name="channel_rotate_key"),
    path("capture/log/", views.log, name="log"),
    path("capture/log/<int:pk>/", views.capture_detail, name="capture"),
    path("capture/log/<int:pk>/reprocess/", views.capture_reprocess, name="reprocess"),
]
