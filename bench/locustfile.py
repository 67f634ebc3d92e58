"""Accountants at work while a batch runs: browse the pages, and poll the alert bar like
an open tab does (with the version its page was rendered from: 204 while nothing
changed). Run by bench/load.py, which logs the accountants in and passes their session
ids in the environment."""

import itertools
import os
import random
import re

from locust import HttpUser, between, task

# One session per accountant, opened by bench/load.py: the scenario measures browsing and
# polling, not password hashing.
SESSIONS = os.environ["LOAD_SESSIONS"].split(",")
INVOICE_IDS = [int(pk) for pk in os.environ["LOAD_INVOICE_IDS"].split(",")]
_numbers = itertools.count()
VERSION = re.compile(r'/incidents/bar/\?v=([\w-]+)"')


class Accountant(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        session = SESSIONS[next(_numbers) % len(SESSIONS)]
        self.client.cookies.set("sessionid", session)
        self.version = ""
        self._remember_version(self.client.get("/", name="dashboard").text)

    def _remember_version(self, html: str) -> None:
        found = VERSION.search(html)
        if found:
            self.version = found.group(1)

    @task(6)
    def poll_alerts(self) -> None:
        response = self.client.get(
            f"/incidents/bar/?v={self.version}", headers={"HX-Request": "true"}, name="alert poll"
        )
        if response.status_code == 200:
            self._remember_version(response.text)

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
