from django.urls import path

from . import views

app_name = "einvoicing"

urlpatterns = [
    path("", views.einvoice_list, name="list"),
    path("settings/", views.platform_settings, name="settings"),
    path("invoices/<int:pk>/panel/", views.invoice_panel, name="panel"),
    path("invoices/<int:pk>/factur-x.xml", views.invoice_xml, name="xml"),
    path("credit-notes/<int:pk>/panel/", views.credit_note_panel, name="credit_note_panel"),
    path("<int:pk>/check/", views.check_with_platform, name="check"),
    path("webhook/<slug:slug>/", views.webhook, name="webhook"),
]
