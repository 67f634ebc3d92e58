from celery import shared_task

from . import services


@shared_task(name="batches.fill", acks_late=True, reject_on_worker_lost=True)
def fill(batch_id: int) -> int:
    return services.fill_batch(batch_id)


@shared_task(name="batches.resume")
def resume() -> int:
    return services.resume_batches()
