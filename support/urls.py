from django.urls import path

from . import views

app_name = "support"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new_ticket, name="new"),
    path("<int:pk>/", views.ticket_detail, name="ticket"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("queue/", views.queue, name="queue"),
    path("queue/<int:pk>/", views.manage, name="manage"),
    path("queue/<int:pk>/assign/", views.assign, name="assign"),
    path("queue/<int:pk>/status/", views.set_status, name="set_status"),
    path("queue/<int:pk>/messages/", views.staff_message, name="message"),
    path("reports/", views.report, name="report"),
]
