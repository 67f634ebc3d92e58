from django.contrib import admin
from django.urls import include, path

from accounts.views import set_language
from dashboard.views import dashboard

from . import views

admin.site.site_header = "CommBilling"
admin.site.site_title = "CommBilling"

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("health/", views.health, name="health"),
    # The language switch, remembered as the signed-in user's (accounts.views).
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("activity/", include("activity.urls")),
    path("invoices/", include("invoices.urls")),
    path("support/", include("support.urls")),
    path("refunds/", include("refunds.urls")),
    path("payments/", include("payments.urls")),
    path("emails/", include("emails.urls")),
    path("incidents/", include("incidents.urls")),
    path("batches/", include("batches.urls")),
    path("einvoicing/", include("einvoicing.urls")),
]
