"""The Journal des e-mails at 500,000 messages: time of each page the user can ask for.

Run against a scratch PostgreSQL database (it is filled with fake messages):
    createdb cb_bench && DATABASE_URL=postgres://postgres@127.0.0.1/cb_bench \
        .venv/bin/python manage.py migrate -v0 && \
    DATABASE_URL=postgres://postgres@127.0.0.1/cb_bench .venv/bin/python bench/emails_journal.py
"""

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commbilling.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import ROLE_GROUPS, Organisation, Role, User  # noqa: E402
from emails.models import EmailMessage  # noqa: E402
from invoices.models import Customer, Invoice  # noqa: E402

TOTAL = int(os.environ.get("BENCH_MESSAGES", "500000"))
BODY = "Bonjour,\n\nVeuillez trouver ci-joint votre facture.\n" * 8


def populate() -> tuple[Organisation, User]:
    from django.contrib.auth.models import Group

    org, _ = Organisation.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    other, _ = Organisation.objects.get_or_create(slug="bench-2", defaults={"name": "Bench 2"})
    user = User.objects.filter(username="bench").first()
    if user is None:
        user = User.objects.create_user("bench", password="x", organisation=org)
        user.groups.add(Group.objects.get(name=ROLE_GROUPS[Role.ACCOUNTANT]))
    existing = EmailMessage.objects.count()
    if existing >= TOTAL:
        return org, user
    customer = Customer.objects.create(organisation=org, legal_name="Client", email="c@x.fr")
    invoices = Invoice.objects.bulk_create(
        Invoice(organisation=org, customer=customer, number=f"F-2026-{n:06d}", status="sent")
        for n in range(1, 2001)
    )
    rng = random.Random(1)
    statuses = ["sent"] * 80 + ["delivered"] * 15 + ["failed"] * 3 + ["bounced"] * 2
    batch = []
    for n in range(existing, TOTAL):
        invoice = rng.choice(invoices)
        address = f"client{rng.randrange(50000)}@example.com"
        batch.append(
            EmailMessage(
                organisation=org if n % 10 else other,
                status=rng.choice(statuses),
                kind="invoice",
                recipients=[address],
                recipient=address,
                subject=f"Facture {invoice.number}",
                body_text=BODY,
                body_html=f"<p>{BODY}</p>",
                template="invoice",
                invoice=invoice if n % 10 else None,
                message_id=f"<bench-{n}@example.com>",
            )
        )
        if len(batch) == 10000:
            EmailMessage.objects.bulk_create(batch)
            batch = []
    EmailMessage.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE emails_emailmessage")
    return org, user


def timed(client: Client, params: dict) -> float:
    url = reverse("emails:list")
    client.get(url, params)  # warm
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        response = client.get(url, params)
        runs.append(time.perf_counter() - start)
        assert response.status_code == 200
    return sorted(runs)[len(runs) // 2] * 1000


def main() -> None:
    org, user = populate()
    client = Client()
    client.force_login(user)
    deep = (
        EmailMessage.objects.filter(organisation=org).order_by("-id").values_list("id", flat=True)
    )[400000 // 10 * 9]
    cases = {
        "first page": {},
        "status Bounced (2%)": {"status": "bounced"},
        "search recipient": {"q": "client123@example.com"},
        "search invoice number": {"q": "F-2026-000777"},
        "page deep in the past (cursor)": {"cursor": str(deep)},
        "Bounced + cursor": {"status": "bounced", "cursor": str(deep)},
    }
    total = EmailMessage.objects.count()
    print(f"{total} messages ({connection.vendor}); median of 5 requests, whole view:")
    for name, params in cases.items():
        print(f"  {name:32s} {timed(client, params):7.1f} ms")


if __name__ == "__main__":
    main()
