from django.urls import path

from . import views

app_name = "activity"

urlpatterns = [
    path("", views.log_list, name="log"),
    path("export.csv", views.log_export, name="log_export"),
    path("export-excel.csv", views.log_export, {"kind": "excel"}, name="log_export_excel"),
    path("export.xlsx", views.log_export, {"kind": "xlsx"}, name="log_export_xlsx"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("status/<str:process>/<int:pk>/", views.record_status, name="record_status"),
    path("retry/<str:process>/<int:pk>/", views.retry, name="retry"),
]
