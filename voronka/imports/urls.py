from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("import/", views.import_home, name="home"),
    path("import/template.csv", views.import_template, name="template"),
    path("import/<int:run_id>/map/", views.import_map, name="map"),
    path("import/<int:run_id>/", views.import_run, name="run"),
    path("import/<int:run_id>/progress/", views.import_progress, name="progress"),
    path("export/<str:kind>/", views.export_download, name="export"),
]
