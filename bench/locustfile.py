"""Accountants at work while a batch runs: browse the pages, and poll the alert bar every
3 seconds like an open tab does. Run by bench/load.py, which logs the accountants in and
passes their session ids in the environment."""

import itertools
import os
import random

from locust import HttpUser, between, task

# One session per accountant, opened by bench/load.py: the scenario measures browsing and
# polling, not password hashing.
SESSIONS = os.environ["LOAD_SESSIONS"].split(",")
INVOICE_IDS = [int(pk) for pk in os.environ["LOAD_INVOICE_IDS"].split(",")]
_numbers = itertools.count()


class Accountant(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        session = SESSIONS[next(_numbers) % len(SESSIONS)]
        self.client.cookies.set("sessionid", session)

    @task(6)
    def poll_alerts(self) -> None:
        self.client.get("/activity/alerts/", headers={"HX-Request": "true"}, name="alert poll")

    @task(2)
    def dashboard(self) -> None:
        self.client.get("/", name="dashboard")

    @task(2)
    def invoices(self) -> None:
        self.client.get("/invoices/", name="invoice list")

    @task(1)
    def failed_invoices(self) -> None:
        self.client.get("/invoices/?status=failed", name="invoice list, failed")

    @task(2)
    def invoice(self) -> None:
        pk = random.choice(INVOICE_IDS)
        self.client.get(f"/invoices/{pk}/", name="invoice page")

    @task(1)
    def activity_log(self) -> None:
        self.client.get("/activity/", name="activity log")

    @task(1)
    def emails(self) -> None:
        self.client.get("/emails/", name="e-mail journal")
