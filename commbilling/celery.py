import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commbilling.settings")

app = Celery("commbilling")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

if os.environ.get("COMMBILLING_TEST_WORKER") == "1":
    from celery.signals import task_prerun

    @task_prerun.connect
    def _forget_content_types(**kwargs) -> None:
        # The test suite flushes the database between tests, which renumbers content
        # types; a worker living across tests must not keep the old ids.
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
