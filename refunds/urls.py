from django.urls import path

from . import views

app_name = "refunds"

urlpatterns = [
    path("", views.refund_list, name="list"),
    path("<int:pk>/", views.refund_detail, name="detail"),
    path("<int:pk>/approve/", views.refund_approve, name="approve"),
    path("<int:pk>/cancel/", views.refund_cancel, name="cancel"),
    path("<int:pk>/confirm-transfer/", views.refund_confirm_transfer, name="confirm_transfer"),
    path("<int:pk>/reconcile/", views.refund_reconcile, name="reconcile"),
    path("<int:pk>/credit-note.pdf", views.credit_note_pdf, name="credit_note_pdf"),
    path("invoice/<int:invoice_pk>/new/", views.refund_request, name="request"),
    path("invoice/<int:invoice_pk>/credit-note/", views.credit_invoice, name="credit_invoice"),
    path("credit-notes/<int:pk>.pdf", views.credit_note_file, name="credit_note_file"),
]
