from django.urls import path

from . import views, webhooks

app_name = "emails"

urlpatterns = [
    path("", views.email_list, name="list"),
    path("<int:pk>/", views.email_detail, name="detail"),
    path("<int:pk>/html/", views.email_html, name="html"),
    path("invoices/<int:pk>/send/", views.send_invoice, name="send_invoice"),
    path("webhooks/<slug:esp>/tracking/", webhooks.tracking_webhook, name="tracking_webhook"),
]
