from django.urls import path

from . import views

app_name = "batches"

urlpatterns = [
    path("<int:pk>/", views.batch_detail, name="detail"),
    path("<int:pk>/cancel/", views.batch_cancel, name="cancel"),
    path("generate-month/", views.generate_month, name="generate_month"),
    path("retry/", views.bulk_retry, name="retry"),
    path("send-invoices/", views.send_invoices, name="send_invoices"),
]
