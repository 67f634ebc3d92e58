import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commbilling.settings")

app = Celery("commbilling")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
