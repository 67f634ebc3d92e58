from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("invoice/<int:invoice_pk>/record/", views.payment_record, name="record"),
    path("<int:pk>/cancel/", views.payment_cancel, name="cancel"),
    path("statements/", views.statement_list, name="statements"),
    path("statements/<int:pk>/", views.statement_detail, name="statement"),
    path("statements/<int:pk>/confirm/", views.statement_confirm_all, name="statement_confirm"),
    path("lines/<int:pk>/confirm/", views.line_confirm, name="line_confirm"),
]
