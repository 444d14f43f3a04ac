"""``pacte invoice export``: the issued documents of a range in a folder (PDF, XML, index.csv), safe to rerun."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import logging
import os

import pytest

from pacte import cli
from pacte.billing import export
from pacte.billing.models import Invoice
from pacte.billing.rendering import invoice_xml
from pacte.billing.tests.helpers import legal_identity
from pacte.billing.tests.test_payments import credit, draft, issued, pay
from pacte.documents.services import document_content
from pacte.tenancy.models import Provider

pytestmark = pytest.mark.django_db

day = datetime.date
TODAY = day(2026, 6, 1)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def index_rows(folder) -> list[dict[str, str]]:
    data = (folder / "index.csv").read_bytes()
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


@pytest.fixture
def march(tenant, other_tenant):
    """Two invoices and a credit note issued in March, one in April, a draft, another provider's invoices."""
    tenant = legal_identity(tenant)
    first = issued(tenant, day=day(2026, 3, 2))
    second = issued(tenant, net="100.00", day=day(2026, 3, 10), client=tenant.other_client)
    note = credit(tenant, first, day=day(2026, 3, 20))
    april = issued(tenant, day=day(2026, 4, 1))
    draft(tenant)
    pay(tenant, second, "120.00", day(2026, 3, 15), today=TODAY)
    foreign = legal_identity(other_tenant)
    issued(foreign, day=day(2026, 3, 2))  # FA-2026-000001 too: the same file name as ours
    issued(foreign, day=day(2026, 3, 3))
    return tenant, [first, second, note], april


def test_the_range_is_written_with_the_stored_bytes_and_an_index(march, tmp_path):
    tenant, documents, april = march
    folder = tmp_path / "out"  # created
    result = export.invoice_export(
        provider=tenant.provider, to=folder, since=day(2026, 3, 1), until=day(2026, 3, 31), today=TODAY
    )
    assert result.ok and result.documents == 3 and result.index_written
    assert result.present == [] and len(result.written) == 6
    expected = set()
    for invoice in documents:
        invoice = Invoice.objects.select_related("document").get(pk=invoice.pk)
        assert invoice.document is not None  # rendered by the export, the worker never ran
        pdf, xml = folder / f"{invoice.number}.pdf", folder / f"{invoice.number}.xml"
        assert pdf.read_bytes() == document_content(invoice.document)
        assert sha(pdf.read_bytes()) == invoice.document.sha256
        assert xml.read_bytes() == invoice_xml(invoice)
        assert sha(xml.read_bytes()) == invoice.xml_sha256
        expected |= {pdf.name, xml.name}
    assert {path.name for path in folder.iterdir()} == expected | {"index.csv"}  # no temporary file left
    first, second, note = (Invoice.objects.select_related("document").get(pk=item.pk) for item in documents)
    rows = index_rows(folder)
    assert list(rows[0]) == list(export.COLUMNS)
    assert [row["number"] for row in rows] == [first.number, second.number, note.number]
    assert rows[0] == {
        "number": first.number,
        "kind": "invoice",
        "issue_date": "2026-03-02",
        "due_date": first.due_date.isoformat(),
        "client_name": tenant.client.name,
        "client_siren": tenant.client.siren,
        "total_net": "1113,75",
        "total_vat": "222,75",
        "total_gross": "1336,50",
        "currency": "EUR",
        "credited_invoice": "",
        "pdf_file": f"{first.number}.pdf",
        "pdf_sha256": first.document.sha256,
        "xml_file": f"{first.number}.xml",
        "xml_sha256": first.xml_sha256,
        "payment_status": "credited",  # fully credited by the note
    }
    assert (rows[1]["client_name"], rows[1]["payment_status"]) == (tenant.other_client.name, "paid")
    assert (rows[2]["kind"], rows[2]["credited_invoice"]) == ("credit_note", first.number)
    assert not (folder / f"{april.number}.pdf").exists()


def test_running_again_writes_nothing_and_reads_in_a_few_queries(march, tmp_path, django_assert_max_num_queries):
    tenant, documents, _april = march
    first = export.invoice_export(provider=tenant.provider, to=tmp_path, since=day(2026, 3, 1), today=TODAY)
    assert len(first.written) == 8  # April's too: no --until
    before = {path.name: path.stat().st_mtime_ns for path in tmp_path.iterdir()}
    with django_assert_max_num_queries(4):  # invoices with client, note and document; payments; credit notes
        again = export.invoice_export(provider=tenant.provider, to=tmp_path, since=day(2026, 3, 1), today=TODAY)
    assert (again.ok, again.written, len(again.present), again.index_written) == (True, [], 8, False)
    assert {path.name: path.stat().st_mtime_ns for path in tmp_path.iterdir()} == before
    # A narrower run keeps the files there and indexes only its own range.
    notes = export.invoice_export(provider=tenant.provider, to=tmp_path, kind="credit_note", today=TODAY)
    assert (notes.written, notes.present, notes.index_written) == (
        [],
        [f"{documents[2].number}.pdf", f"{documents[2].number}.xml"],
        True,
    )
    assert [row["number"] for row in index_rows(tmp_path)] == [documents[2].number]


def test_another_providers_documents_are_never_exported(march, other_tenant, tmp_path):
    tenant, _documents, _april = march
    export.invoice_export(provider=tenant.provider, to=tmp_path, today=TODAY)
    ours = Invoice.objects.filter(provider=tenant.provider, status="issued").select_related("document")
    assert {row["pdf_sha256"] for row in index_rows(tmp_path)} == {invoice.document.sha256 for invoice in ours}
    theirs = Invoice.objects.filter(provider=other_tenant.provider).select_related("document")
    assert all(invoice.document_id is None for invoice in theirs)  # not even rendered
    # Exported into the same folder, their FA-2026-000001 clashes with ours: reported, ours kept.
    pdf = tmp_path / "FA-2026-000001.pdf"
    kept = pdf.read_bytes()
    result = export.invoice_export(provider=other_tenant.provider, to=tmp_path, today=TODAY)
    assert not result.ok and any("FA-2026-000001.pdf" in error for error in result.errors)
    assert pdf.read_bytes() == kept


def test_a_slash_in_a_number_becomes_an_underscore(tenant, tmp_path):
    tenant = legal_identity(tenant)
    Provider.objects.filter(pk=tenant.provider.pk).update(invoice_prefix="FA/LYON")
    invoice = issued(tenant, day=day(2026, 3, 2))
    assert invoice.number == "FA/LYON-2026-000001"
    result = export.invoice_export(provider=tenant.provider, to=tmp_path, today=TODAY)
    assert result.written == ["FA_LYON-2026-000001.pdf", "FA_LYON-2026-000001.xml"]
    (row,) = index_rows(tmp_path)
    assert (row["number"], row["pdf_file"]) == ("FA/LYON-2026-000001", "FA_LYON-2026-000001.pdf")


def test_the_cli_exports_and_reports_a_tampered_copy_without_overwriting_it(march, tmp_path, capsys):
    tenant, documents, _april = march
    args = ["invoice", "export", "--to", str(tmp_path), "--since", "2026-03-01", "--until", "2026-03-31"]
    args += ["--provider", str(tenant.provider.pk)]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "3 documents" in out and "6 files written, 0 already there" in out
    number = documents[1].number
    tampered = tmp_path / f"{number}.pdf"
    tampered.write_bytes(tampered.read_bytes() + b"%")
    (tmp_path / f"{documents[0].number}.xml").unlink()  # a missing file is written again
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    assert f"{number}.pdf" in captured.err and "1 files written, 4 already there, 1 errors" in captured.out
    assert tampered.read_bytes().endswith(b"%")
    assert (tmp_path / f"{documents[0].number}.xml").exists()
    # A temporary file a killed export left is removed, and the summary says so.
    leftover = tmp_path / f".{number}.xml.k3x9_q2a.tmp"
    leftover.write_bytes(b"half a file")
    yesterday = datetime.datetime.now(tz=datetime.UTC).timestamp() - 86400
    os.utime(leftover, (yesterday, yesterday))
    cli.main(args)
    assert "; 1 stale temporary files removed" in capsys.readouterr().out and not leftover.exists()


def test_the_cli_refuses_bad_input_and_writes_nothing(march, tmp_path, capsys):
    tenant, _documents, _april = march
    provider = ["--provider", str(tenant.provider.pk)]
    folder = tmp_path / "out"
    for args, message in [
        (["--since", "2026-13-01", *provider], "--since"),
        (["--until", "01/03/2026", *provider], "--until"),
        (["--since", "2026-04-01", "--until", "2026-03-01", *provider], "--since"),
        (["--provider", "Nobody"], "Nobody"),
        ([], "several providers"),
    ]:
        assert cli.main(["invoice", "export", "--to", str(folder), *args]) == 2
        assert message in capsys.readouterr().err
        assert not folder.exists()
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    for target in (a_file, a_file / "below"):
        assert cli.main(["invoice", "export", "--to", str(target), *provider]) == 2
        assert str(a_file) in capsys.readouterr().err
    assert a_file.read_text() == "not a folder"


def test_the_xml_is_the_one_inside_the_pdf_even_when_the_rebuilt_one_differs(tenant, tmp_path):
    tenant = legal_identity(tenant)
    invoice = issued(tenant, day=day(2026, 3, 2))
    export.invoice_export(provider=tenant.provider, to=tmp_path / "first", today=TODAY)
    invoice = Invoice.objects.select_related("document").get(pk=invoice.pk)
    stored = (tmp_path / "first" / f"{invoice.number}.xml").read_bytes()
    # The frozen data changed after rendering (a later code version would do the same): the XML rebuilt
    # from it no longer has the recorded SHA-256, so the export takes the one embedded in the stored PDF.
    Invoice.objects.filter(pk=invoice.pk).update(data={**invoice.data, "purchase_order": "BC-CHANGED"})
    assert sha(invoice_xml(Invoice.objects.get(pk=invoice.pk))) != invoice.xml_sha256
    result = export.invoice_export(provider=tenant.provider, to=tmp_path / "second", today=TODAY)
    assert result.ok
    assert (tmp_path / "second" / f"{invoice.number}.xml").read_bytes() == stored
    assert sha(stored) == invoice.xml_sha256
    # Neither matches the recorded SHA-256: an error, nothing of that document written nor indexed.
    Invoice.objects.filter(pk=invoice.pk).update(xml_sha256="0" * 64)
    result = export.invoice_export(provider=tenant.provider, to=tmp_path / "third", today=TODAY)
    assert not result.ok and invoice.number in result.errors[0]
    assert {path.name for path in (tmp_path / "third").iterdir()} == {"index.csv"}
    assert index_rows(tmp_path / "third") == []


def test_temporary_files_an_interrupted_export_left_are_removed_and_nothing_else(tenant, tmp_path, caplog):
    """An export killed mid-write leaves ``.<name>.<random>.tmp``: the next run removes the stale ones of its own
    pattern, keeps a fresh one (another export may be writing it) and every other file."""
    tenant = legal_identity(tenant)
    invoice = issued(tenant, day=day(2026, 3, 2))
    stale = [f".{invoice.number}.pdf.k3x9_q2a.tmp", ".index.csv.abcd1234.tmp"]
    fresh = f".{invoice.number}.xml.zz99yy88.tmp"
    foreign = [
        ".notes.txt.abcd1234.tmp",  # not a file the export writes
        f".{invoice.number}.pdf.tmp",  # no random part
        f"{invoice.number}.pdf.abcd1234.tmp",  # no leading dot
        "backup.tmp",
        "notes.txt",
    ]
    an_hour_ago = datetime.datetime.now(tz=datetime.UTC).timestamp() - 3600
    for name in [*stale, fresh, *foreign]:
        (tmp_path / name).write_bytes(b"half a file")
        if name != fresh:
            os.utime(tmp_path / name, (an_hour_ago, an_hour_ago))
    (tmp_path / ".old.pdf.abcd1234.tmp").mkdir()  # a folder with the pattern's name is no temporary file
    os.utime(tmp_path / ".old.pdf.abcd1234.tmp", (an_hour_ago, an_hour_ago))
    with caplog.at_level(logging.WARNING, logger="pacte.billing.export"):
        result = export.invoice_export(provider=tenant.provider, to=tmp_path, today=TODAY)
    assert result.ok and sorted(result.stale_removed) == sorted(stale)
    assert "Removed 2 temporary file(s) an interrupted export left" in caplog.text
    left = {path.name for path in tmp_path.iterdir()}
    assert left == {
        fresh,
        *foreign,
        ".old.pdf.abcd1234.tmp",
        f"{invoice.number}.pdf",
        f"{invoice.number}.xml",
        "index.csv",
    }
    # Nothing stale the next time: nothing removed, nothing said.
    caplog.clear()
    assert export.invoice_export(provider=tenant.provider, to=tmp_path, today=TODAY).stale_removed == []
    assert "interrupted export" not in caplog.text
