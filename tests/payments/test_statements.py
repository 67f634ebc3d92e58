"""Bank statements: CAMT.053 and CSV read, credits matched to invoices, payments confirmed."""

from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

import pytest

from invoices.models import Invoice
from payments.models import BankStatementLine, Payment
from payments.statements import (
    StatementUnreadable,
    confirm_line,
    confirm_proposed,
    import_statement,
    parse_camt053,
    parse_csv,
)
from tests.factories import CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def camt053(entries: list[dict]) -> bytes:
    """A CAMT.053 statement as a French bank exports it (one Ntry per credit or debit)."""
    body = []
    for i, entry in enumerate(entries):
        ustrd = "".join(f"<Ustrd>{escape(u)}</Ustrd>" for u in entry.get("ustrd", []))
        body.append(
            f"""<Ntry><NtryRef>{i}</NtryRef><Amt Ccy="EUR">{entry["amount"]}</Amt>
            <CdtDbtInd>{entry.get("side", "CRDT")}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
            <BookgDt><Dt>{entry.get("date", "2026-11-25")}</Dt></BookgDt>
            <ValDt><Dt>{entry.get("date", "2026-11-25")}</Dt></ValDt>
            <AcctSvcrRef>BQ{i:08d}</AcctSvcrRef>
            <BkTxCd><Domn><Cd>PMNT</Cd></Domn></BkTxCd>
            <NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
            <RltdPties><Dbtr><Pty><Nm>{escape(entry.get("debtor", "Client"))}</Nm></Pty></Dbtr>
            </RltdPties><RmtInf>{ustrd}</RmtInf></TxDtls></NtryDtls></Ntry>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{NS}"><BkToCstmrStmt>
<GrpHdr><MsgId>STMT-2026-11</MsgId><CreDtTm>2026-11-26T06:00:00</CreDtTm></GrpHdr>
<Stmt><Id>2026-11-25</Id><Acct><Id><IBAN>FR1420041010050500013M02606</IBAN></Id></Acct>
{"".join(body)}
</Stmt></BkToCstmrStmt></Document>""".encode()


def issued(organisation, price: str, **kwargs) -> Invoice:
    """An issued, unpaid invoice (1 line at ``price`` excl. VAT + 20 %)."""
    n = Invoice.objects.count() + 1
    return InvoiceFactory.create(
        organisation=organisation,
        number=f"F-2026-{n:06d}",
        status=Invoice.Status.SENT,
        issue_date=date(2026, 11, 1),
        due_date=date(2026, 12, 1),
        lines=[("Prestation", "1", price, "20")],
        **kwargs,
    )


def test_a_camt053_of_20_lines_matches_18_invoices_and_lists_2_unmatched(organisation, accountant):
    invoices = [issued(organisation, f"{100 + i * 7}.00") for i in range(18)]
    referenced = CustomerFactory.create(organisation=organisation, payment_reference="CLT-ACME-77")
    by_reference = issued(organisation, "95.00", customer=referenced)
    entries = []
    for i, invoice in enumerate(invoices[:16]):
        # Payers write numbers their own way; some in the middle of other words.
        number = invoice.number if i % 3 else invoice.number.replace("-", " ")
        entries.append(
            {"amount": invoice.total_incl_vat, "ustrd": [f"VIR SEPA FACT {number} MERCI"]}
        )
    entries.append({"amount": by_reference.total_incl_vat, "ustrd": ["Reglement CLT-ACME-77"]})
    # No reference at all, but only one open invoice has this amount left to pay.
    entries.append({"amount": invoices[16].total_incl_vat, "ustrd": ["VIREMENT"]})
    # Unmatched: an unknown number with an amount nobody owes, and a text with nothing.
    entries.append({"amount": "999.99", "ustrd": ["FACT F-2026-999999"]})
    entries.append({"amount": "12.34", "ustrd": ["REMBOURSEMENT MUTUELLE"]})
    entries.append({"amount": "50.00", "side": "DBIT", "ustrd": ["PRLV EDF"]})  # a debit
    statement = import_statement(
        organisation=organisation,
        filename="releve-novembre.xml",
        content=camt053(entries),
        actor=accountant,
    )
    lines = statement.lines.all()
    assert lines.count() == 20
    assert statement.skipped_lines == 1
    proposed = lines.filter(status=BankStatementLine.Status.PROPOSED)
    assert proposed.count() == 18
    unmatched = lines.filter(status=BankStatementLine.Status.UNMATCHED)
    assert {line.amount for line in unmatched} == {Decimal("999.99"), Decimal("12.34")}
    expected = {*invoices[:17], by_reference}
    assert {line.proposed_invoice for line in proposed} == expected
    assert {line.matched_by for line in proposed} == {"number", "reference", "amount"}

    recorded, problems = confirm_proposed(statement=statement, actor=accountant)

    assert (recorded, problems) == (18, [])
    assert Invoice.objects.filter(status=Invoice.Status.PAID).count() == 18
    assert Invoice.objects.get(pk=invoices[17].pk).status == Invoice.Status.SENT
    assert Payment.objects.filter(method=Payment.Method.TRANSFER).count() == 18
    # Importing the same file again adds nothing; confirming again records nothing.
    again = import_statement(
        organisation=organisation,
        filename="releve-novembre.xml",
        content=camt053(entries),
        actor=accountant,
    )
    assert (again.lines.count(), again.skipped_lines) == (0, 21)
    assert confirm_line(line=proposed.first(), actor=accountant) is None
    assert Payment.objects.count() == 18


def test_a_partial_transfer_is_proposed_and_leaves_the_rest_due(organisation, accountant):
    invoice = issued(organisation, "1000.00")  # 1 200,00 € incl. VAT
    csv = f"Date;Libellé;Montant\n25/11/2026;Acompte {invoice.number};500,00\n".encode()
    statement = import_statement(
        organisation=organisation, filename="releve.csv", content=csv, actor=accountant
    )
    line = statement.lines.get()
    assert (line.status, line.proposed_invoice) == ("proposed", invoice)
    confirm_line(line=line, actor=accountant)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_remaining) == ("partially_paid", Decimal("700.00"))


def test_a_credit_above_what_is_due_is_not_proposed_for_that_invoice(organisation, accountant):
    invoice = issued(organisation, "100.00")  # 120 €
    csv = f"date,label,amount\n2026-11-25,{invoice.number},500.00\n".encode()
    statement = import_statement(
        organisation=organisation, filename="x.csv", content=csv, actor=accountant
    )
    assert statement.lines.get().status == BankStatementLine.Status.UNMATCHED


def test_another_organisations_invoice_is_never_proposed(
    organisation, other_organisation, accountant
):
    theirs = issued(other_organisation, "100.00")
    csv = f"date;libelle;montant\n25/11/2026;{theirs.number};120,00\n".encode()
    statement = import_statement(
        organisation=organisation, filename="x.csv", content=csv, actor=accountant
    )
    assert statement.lines.get().proposed_invoice is None


def test_the_csv_reader_accepts_french_amounts_and_skips_debits():
    entries, skipped = parse_csv(
        "Date;Libellé;Montant;Référence\n"
        "25/11/2026;VIR F-2026-000001;1 200,50;REF1\n"
        "26/11/2026;PRLV;-35,00;\n".encode("latin-1")
    )
    assert skipped == 1
    assert [(e.booking_date, e.amount, e.bank_reference) for e in entries] == [
        (date(2026, 11, 25), Decimal("1200.50"), "REF1")
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html><body>not a statement</body></html>", "not a CAMT.053"),
        (b"<Document><unclosed>", "not valid XML"),
        (
            b'<!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><Document>&b;</Document>',
            "not valid XML",
        ),
    ],
)
def test_unreadable_xml_is_refused_with_a_reason(content, message):
    with pytest.raises(StatementUnreadable, match=message):
        parse_camt053(content)


def test_a_csv_without_the_needed_columns_is_refused():
    with pytest.raises(StatementUnreadable, match="date, an amount and a label"):
        parse_csv(b"foo;bar\n1;2\n")
