"""Bank statements: read CAMT.053 (ISO 20022, what French banks export) and a simple CSV,
propose the invoice each credit pays, and record the payments the accountant confirms."""

import csv
import hashlib
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from defusedxml import ElementTree
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organisation, User, company_settings_for
from invoices.models import ZERO, Customer, Invoice

from .models import BankStatement, BankStatementLine, Payment
from .services import PaymentRefused, record_payment


class StatementUnreadable(Exception):
    """The file is not a statement we can read; the message says why and what to do."""


@dataclass(frozen=True)
class StatementEntry:
    booking_date: date
    amount: Decimal  # positive: money received
    currency: str
    remittance: str
    counterparty: str
    bank_reference: str


# --- CAMT.053 ----------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element, name: str) -> list:
    return [child for child in element if _local(child.tag) == name]


def _path(element, path: str) -> list:
    """Elements at a slash-separated path of local names (any namespace version)."""
    found = [element]
    for name in path.split("/"):
        found = [child for parent in found for child in _children(parent, name)]
    return found


def _text(element, path: str) -> str:
    return " ".join((e.text or "").strip() for e in _path(element, path) if (e.text or "").strip())


def _camt_date(element, path: str) -> date | None:
    value = _text(element, f"{path}/Dt") or _text(element, f"{path}/DtTm")[:10]
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _remittance(element) -> str:
    parts = [
        _text(element, "RmtInf/Ustrd"),
        _text(element, "RmtInf/Strd/CdtrRefInf/Ref"),
        _text(element, "Refs/EndToEndId"),
        _text(element, "AddtlTxInf"),
    ]
    return " ".join(p for p in parts if p and p != "NOTPROVIDED")


def _counterparty(element) -> str:
    return _text(element, "RltdPties/Dbtr/Nm") or _text(element, "RltdPties/Dbtr/Pty/Nm")


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text.strip())
    except InvalidOperation as exc:
        raise StatementUnreadable(_("Unreadable amount “%(text)s”.") % {"text": text}) from exc


def parse_camt053(content: bytes) -> tuple[list[StatementEntry], int]:
    """Credits of a CAMT.053 statement (any version), and how many entries were skipped
    (debits, or not booked). A batch entry with several transactions gives one line each."""
    try:
        root = ElementTree.fromstring(content)
    except Exception as exc:
        raise StatementUnreadable(
            _("This file is not valid XML (%(error)s): export the statement again as CAMT.053.")
            % {"error": exc}
        ) from exc
    statements = _path(root, "BkToCstmrStmt/Stmt")
    if _local(root.tag) != "Document" or not statements:
        raise StatementUnreadable(
            _("This XML file is not a CAMT.053 statement (no BkToCstmrStmt/Stmt).")
        )
    entries, skipped = [], 0
    for statement in statements:
        for entry in _children(statement, "Ntry"):
            status = _text(entry, "Sts") or _text(entry, "Sts/Cd")
            if _text(entry, "CdtDbtInd") != "CRDT" or (status and status != "BOOK"):
                skipped += 1
                continue
            booked = _camt_date(entry, "BookgDt") or _camt_date(entry, "ValDt")
            if booked is None:
                raise StatementUnreadable(_("An entry has no booking date."))
            amount_element = _children(entry, "Amt")
            currency = amount_element[0].get("Ccy", "EUR") if amount_element else "EUR"
            reference = _text(entry, "AcctSvcrRef")
            details = _path(entry, "NtryDtls/TxDtls")
            with_amounts = [d for d in details if _path(d, "Amt") or _path(d, "AmtDtls/TxAmt/Amt")]
            if len(details) > 1 and len(with_amounts) == len(details):
                for index, detail in enumerate(details):
                    amount = _text(detail, "Amt") or _text(detail, "AmtDtls/TxAmt/Amt")
                    entries.append(
                        StatementEntry(
                            booking_date=booked,
                            amount=_amount(amount),
                            currency=currency,
                            remittance=_remittance(detail),
                            counterparty=_counterparty(detail),
                            bank_reference=f"{reference}/{index + 1}" if reference else "",
                        )
                    )
                continue
            detail = details[0] if details else entry
            remittance = _remittance(detail) or _text(entry, "AddtlNtryInf")
            entries.append(
                StatementEntry(
                    booking_date=booked,
                    amount=_amount(_text(entry, "Amt")),
                    currency=currency,
                    remittance=remittance,
                    counterparty=_counterparty(detail),
                    bank_reference=reference,
                )
            )
    return entries, skipped


# --- CSV ---------------------------------------------------------------------------

CSV_COLUMNS = {
    "date": {"date", "date operation", "date de l'operation", "booking date", "date comptable"},
    "amount": {"montant", "amount", "credit", "montant (eur)"},
    "label": {"libelle", "label", "description", "remittance", "motif", "communication"},
    "reference": {"reference", "ref", "ref banque"},
    "counterparty": {"emetteur", "tiers", "debtor", "payeur", "nom"},
}


def _plain_header(value: str) -> str:
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return " ".join(value.lower().replace("_", " ").split())


def parse_csv_amount(text: str) -> Decimal:
    """ "1 200,50", "1 200,50 €", "1200.50", "-35,00" (narrow no-break spaces too)."""
    cleaned = re.sub(r"[\s\u00a0\u202f€]", "", text or "")
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    return _amount(cleaned)


def _csv_date(text: str) -> date:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date()  # noqa: DTZ007
        except ValueError:
            continue
    raise StatementUnreadable(
        _("Unreadable date “%(text)s” (expected dd/mm/yyyy or yyyy-mm-dd).") % {"text": text}
    )


def parse_csv(content: bytes) -> tuple[list[StatementEntry], int]:
    """A CSV with a header row naming at least a date, an amount and a label column
    (French or English names; ';' or ',' separated; UTF-8 or Latin-1)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    delimiter = ";" if text.split("\n", 1)[0].count(";") >= 1 else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        raise StatementUnreadable(_("The CSV file is empty."))
    header = [_plain_header(cell) for cell in rows[0]]
    columns = {}
    for key, names in CSV_COLUMNS.items():
        for index, name in enumerate(header):
            if name in names:
                columns[key] = index
                break
    missing = [key for key in ("date", "amount", "label") if key not in columns]
    if missing:
        raise StatementUnreadable(
            _(
                "The CSV header must name a date, an amount and a label column "
                "(e.g. “date;montant;libellé”); not found: %(missing)s."
            )
            % {"missing": ", ".join(missing)}
        )

    def cell(row: list[str], key: str) -> str:
        index = columns.get(key)
        return row[index].strip() if index is not None and index < len(row) else ""

    entries, skipped = [], 0
    for row in rows[1:]:
        if not any(c.strip() for c in row):
            continue
        amount = parse_csv_amount(cell(row, "amount"))
        if amount <= ZERO:
            skipped += 1
            continue
        entries.append(
            StatementEntry(
                booking_date=_csv_date(cell(row, "date")),
                amount=amount,
                currency="EUR",
                remittance=cell(row, "label"),
                counterparty=cell(row, "counterparty"),
                bank_reference=cell(row, "reference"),
            )
        )
    return entries, skipped


def parse_statement(filename: str, content: bytes) -> tuple[str, list[StatementEntry], int]:
    head = content.lstrip()[:200]
    if head.startswith(b"<") or filename.lower().endswith(".xml"):
        return BankStatement.Format.CAMT053, *parse_camt053(content)
    return BankStatement.Format.CSV, *parse_csv(content)


# --- Matching ----------------------------------------------------------------------


def _number_pattern(prefix: str) -> re.Pattern[str]:
    # "F-2026-000123", also written "F 2026 000123" or "F2026000123" by payers.
    return re.compile(rf"\b{re.escape(prefix)}[-\s]?(\d{{4}})[-\s]?(\d{{6}})\b", re.IGNORECASE)


class Matcher:
    """Proposes, for each credit, the open invoice it pays: by invoice number in the
    remittance text, else by the customer's payment reference, else by an amount that only
    one open invoice has left to pay. The amount must fit what remains due."""

    def __init__(self, organisation: Organisation) -> None:
        self.pattern = _number_pattern(company_settings_for(organisation).invoice_prefix)
        self.prefix = company_settings_for(organisation).invoice_prefix.upper()
        invoices = list(
            Invoice.objects.for_organisation(organisation)
            .filter(status__in=Invoice.OPEN_STATUSES)
            .order_by("due_date", "id")
        )
        self.by_number = {invoice.number.upper(): invoice for invoice in invoices if invoice.number}
        self.left = {invoice.pk: invoice.amount_remaining for invoice in invoices}
        self.invoices = invoices
        self.references = [
            (reference.upper(), customer_id)
            for reference, customer_id in Customer.objects.for_organisation(organisation)
            .exclude(payment_reference="")
            .values_list("payment_reference", "id")
            if len(reference) >= 4
        ]

    def _fits(self, invoice: Invoice, amount: Decimal) -> bool:
        return ZERO < amount <= self.left[invoice.pk]

    def match(self, entry: StatementEntry) -> tuple[Invoice | None, str]:
        text = f"{entry.remittance} {entry.bank_reference}".upper()
        for year, serial in self.pattern.findall(text):
            invoice = self.by_number.get(f"{self.prefix}-{year}-{serial}")
            if invoice is not None and self._fits(invoice, entry.amount):
                return self._take(invoice, entry, BankStatementLine.MatchedBy.NUMBER)
        customers = {customer_id for reference, customer_id in self.references if reference in text}
        if customers:
            candidates = [i for i in self.invoices if i.customer_id in customers]
            exact = [i for i in candidates if self.left[i.pk] == entry.amount]
            fitting = [i for i in candidates if self._fits(i, entry.amount)]
            chosen = exact[:1] or (fitting if len(fitting) == 1 else [])
            if chosen:
                return self._take(chosen[0], entry, BankStatementLine.MatchedBy.REFERENCE)
        same_amount = [i for i in self.invoices if self.left[i.pk] == entry.amount]
        if len(same_amount) == 1:
            return self._take(same_amount[0], entry, BankStatementLine.MatchedBy.AMOUNT)
        return None, ""

    def _take(self, invoice: Invoice, entry: StatementEntry, how: str) -> tuple[Invoice, str]:
        self.left[invoice.pk] -= entry.amount  # two credits never claim the same balance
        return invoice, how


def _fingerprint(entry: StatementEntry, occurrence: int) -> str:
    if entry.bank_reference:
        key = f"ref|{entry.bank_reference}"
    else:
        key = (
            f"{entry.booking_date}|{entry.amount}|{entry.remittance}|{entry.counterparty}|"
            f"{occurrence}"
        )
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def import_statement(
    *, organisation: Organisation, filename: str, content: bytes, actor: User | None
) -> BankStatement:
    """Store the statement's credits with a proposed invoice each. A credit already
    imported (same bank reference, or same date, amount and text) is skipped."""
    source_format, entries, skipped = parse_statement(filename, content)
    statement = BankStatement.objects.create(
        organisation=organisation,
        filename=filename[:200],
        source_format=source_format,
        imported_by=actor,
    )
    matcher = Matcher(organisation)
    seen: Counter[tuple] = Counter()
    for entry in entries:
        identity = (entry.booking_date, entry.amount, entry.remittance, entry.counterparty)
        seen[identity] += 1
        fingerprint = _fingerprint(entry, seen[identity])
        if BankStatementLine.objects.filter(
            organisation=organisation, fingerprint=fingerprint
        ).exists():
            skipped += 1
            continue
        invoice, matched_by = matcher.match(entry)
        BankStatementLine.objects.create(
            organisation=organisation,
            statement=statement,
            booking_date=entry.booking_date,
            amount=entry.amount,
            currency=entry.currency,
            remittance=entry.remittance,
            counterparty=entry.counterparty[:200],
            bank_reference=entry.bank_reference[:140],
            fingerprint=fingerprint,
            status=(
                BankStatementLine.Status.PROPOSED if invoice else BankStatementLine.Status.UNMATCHED
            ),
            proposed_invoice=invoice,
            matched_by=matched_by,
        )
    statement.skipped_lines = skipped
    statement.save(update_fields=["skipped_lines"])
    return statement


@transaction.atomic
def confirm_line(
    *, line: BankStatementLine, actor: User, invoice: Invoice | None = None
) -> Payment | None:
    """Record the payment of a bank line on its proposed invoice (or the one the
    accountant chose). Confirming twice records one payment: the second finds it done."""
    locked = BankStatementLine.objects.select_for_update().get(pk=line.pk)
    if locked.status in (BankStatementLine.Status.CONFIRMED, BankStatementLine.Status.IGNORED):
        return None
    target = invoice or locked.proposed_invoice
    if target is None:
        return None
    payment = record_payment(
        invoice=target,
        amount=locked.amount,
        paid_on=locked.booking_date,
        method=Payment.Method.TRANSFER,
        reference=(locked.bank_reference or locked.remittance)[:140],
        actor=actor,
        statement_line=locked,
    )
    locked.status = BankStatementLine.Status.CONFIRMED
    locked.proposed_invoice = target
    locked.save(update_fields=["status", "proposed_invoice"])
    line.status = locked.status
    return payment


def confirm_proposed(*, statement: BankStatement, actor: User) -> tuple[int, list[str]]:
    """Confirm every proposed line; returns how many were recorded and why others were not."""
    recorded, problems = 0, []
    for line in statement.lines.filter(status=BankStatementLine.Status.PROPOSED):
        try:
            if confirm_line(line=line, actor=actor):
                recorded += 1
        except PaymentRefused as exc:
            problems.append(f"{line.booking_date:%d/%m/%Y} {line.remittance[:40]}: {exc}")
    return recorded, problems
