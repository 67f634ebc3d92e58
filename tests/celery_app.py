"""The Celery app the test suite's workers run: the project's, plus what a worker living
across tests needs."""

from celery.signals import task_prerun

from commbilling.celery import app

__all__ = ["app"]


@task_prerun.connect
def _forget_content_types(**kwargs) -> None:
    # The test suite flushes the database between tests, which renumbers content types;
    # a worker living across tests must not keep the old ids.
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
