"""The folder export of issued invoices and credit notes (``pacte invoice export --to DIR``).

What an accountant or an approved e-invoicing platform collects when it takes files rather than the API.
For each invoice and credit note the provider issued in the range (issue dates, inclusive) the folder gets:

- ``<NUMBER>.pdf``: the stored Factur-X PDF/A-3, byte for byte (rendered first if the worker has not yet);
- ``<NUMBER>.xml``: its CII XML (``factur-x.xml``, EN 16931), the same bytes as the one inside the PDF;
- ``index.csv``: one row per document of this run, in issue order.

A number may contain ``/`` (``^[A-Za-z0-9+\\-_/]{1,35}$``): its file name has ``_`` instead
(``FA/2026/1`` → ``FA_2026_1.pdf``); the index gives the real number.

Safe to run again: a file already present with the same SHA-256 is left alone; a file present with
*other* content is reported and never overwritten (an issued document never changes: someone or
something altered the copy). Every file is written to a temporary name in the folder, then renamed
(``os.replace``), so a reader never sees half a file. ``index.csv`` is rewritten each run, the same way.
An export killed mid-write leaves its temporary file (``.<name>.<random>.tmp``); the next run removes
those of its own pattern last changed before it started (minus ``STALE_TEMPORARY_MARGIN``, for an export
running at the same moment) and logs which: any other file in the folder is left alone.

``index.csv`` is for a French spreadsheet as much as for a program: UTF-8 with a BOM, ``;``-separated,
lines ending CRLF, decimal comma, ISO dates (``YYYY-MM-DD``). A client name starting with ``=``, ``+``,
``-`` or ``@`` gets a leading apostrophe, so a spreadsheet never reads it as a formula.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import facturx as facturx_lib
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.billing import domain, payments, selectors
from pacte.billing.models import Invoice, InvoiceKind
from pacte.billing.rendering import invoice_render_once, invoice_xml
from pacte.documents.domain import sha256_hex
from pacte.documents.errors import StoredFileError
from pacte.documents.services import document_content
from pacte.tenancy.models import Provider

logger = logging.getLogger(__name__)

INDEX = "index.csv"
#: ``_write_atomically``'s temporary files: ``.<NUMBER>.pdf.<random>.tmp``, ``.index.csv.<random>.tmp``
#: (``tempfile.mkstemp``'s 8 random characters).
TEMPORARY = re.compile(r"\.(?:[A-Za-z0-9+\-_]{1,35}\.(?:pdf|xml)|index\.csv)\.[a-z0-9_]{8}\.tmp")
#: A temporary file younger than this when a run starts may be another export's, still being written.
STALE_TEMPORARY_MARGIN = datetime.timedelta(minutes=10)
COLUMNS = (
    "number",
    "kind",
    "issue_date",
    "due_date",
    "client_name",
    "client_siren",
    "total_net",
    "total_vat",
    "total_gross",
    "currency",
    "credited_invoice",
    "pdf_file",
    "pdf_sha256",
    "xml_file",
    "xml_sha256",
    "payment_status",
)


class ExportError(Exception):
    """The export cannot start: a bad argument, or a folder that cannot be written. Nothing was written."""


@dataclass
class ExportResult:
    """What one export did. ``errors``: documents or files left out (altered copies, clashing names)."""

    directory: Path
    documents: int = 0
    written: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    index_written: bool = False
    #: Temporary files an interrupted export left, removed by this one.
    stale_removed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_day(value: str | None, option: str) -> datetime.date | None:
    """``YYYY-MM-DD`` → a date; ``ExportError`` naming ``option`` otherwise."""
    if not value:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise ExportError(
            _("%(option)s: “%(value)s” is not a date (YYYY-MM-DD).") % {"option": option, "value": value}
        ) from error


def file_stem(number: str) -> str:
    """The file name (without extension) of a document number: ``/`` becomes ``_``."""
    return number.replace("/", "_")


def _folder(to: Path) -> Path:
    try:
        to.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ExportError(
            _("The folder %(path)s cannot be created: %(reason)s") % {"path": to, "reason": error.strerror or error}
        ) from error
    if not to.is_dir():
        raise ExportError(_("%(path)s is not a folder.") % {"path": to})
    if not os.access(to, os.W_OK | os.X_OK):
        raise ExportError(_("The folder %(path)s is not writable.") % {"path": to})
    return to


def _remove_stale_temporaries(directory: Path, started: float, result: ExportResult) -> None:
    """Remove the temporary files an interrupted export left in ``directory`` (only names of ``TEMPORARY``,
    regular files last changed ``STALE_TEMPORARY_MARGIN`` before ``started``, a POSIX timestamp)."""
    cutoff = started - STALE_TEMPORARY_MARGIN.total_seconds()
    for path in sorted(directory.iterdir()):
        if not TEMPORARY.fullmatch(path.name):
            continue
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_mtime >= cutoff:
                continue
            path.unlink()
        except FileNotFoundError:  # removed meanwhile by another run
            continue
        except OSError as error:
            logger.warning("%s: a temporary file of an interrupted export could not be removed: %s", path, error)
            continue
        result.stale_removed.append(path.name)
    if result.stale_removed:
        logger.warning(
            "Removed %s temporary file(s) an interrupted export left in %s: %s",
            len(result.stale_removed),
            directory,
            ", ".join(result.stale_removed),
        )


def _write_atomically(path: Path, content: bytes) -> None:
    """``content`` to a temporary file beside ``path``, flushed to disk, then renamed onto ``path``."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _put(path: Path, content: bytes, result: ExportResult) -> bool:
    """Write ``path`` unless it is there already; a copy with other content is an error, left as it is."""
    if path.exists():
        if path.is_file() and sha256_hex(path.read_bytes()) == sha256_hex(content):
            result.present.append(path.name)
            return True
        result.errors.append(
            _("%(name)s is already in the folder with other content: left as it is (an issued document never changes).")
            % {"name": path.name}
        )
        return False
    _write_atomically(path, content)
    result.written.append(path.name)
    return True


def stored_xml(invoice: Invoice, pdf: bytes) -> bytes:
    """The CII XML of ``invoice``: rebuilt from its frozen data, or taken from its PDF when the rebuilt one no
    longer has the SHA-256 recorded at rendering (the stored document wins); ``StoredFileError`` if neither."""
    xml = invoice_xml(invoice)
    if not invoice.xml_sha256 or sha256_hex(xml) == invoice.xml_sha256:
        return xml
    _name, embedded = facturx_lib.get_facturx_xml_from_pdf(pdf, check_xsd=False)
    if isinstance(embedded, bytes) and sha256_hex(embedded) == invoice.xml_sha256:
        return embedded
    raise StoredFileError(_("The e-invoice XML no longer matches its SHA-256."))


def _amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _text(value: str) -> str:
    value = " ".join(value.split())
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def index_csv(rows: Iterable[tuple[str, ...]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _row(invoice: Invoice, pdf: Path, pdf_sha: str, xml: Path, xml_sha: str, state: str) -> tuple[str, ...]:
    return (
        str(invoice.number),
        invoice.kind,
        invoice.issue_date.isoformat() if invoice.issue_date else "",
        invoice.due_date.isoformat() if invoice.due_date else "",
        _text(invoice.client.name),
        invoice.client.siren or "",
        _amount(invoice.total_net),
        _amount(invoice.total_vat),
        _amount(invoice.total_gross),
        invoice.currency,
        (invoice.credited_invoice.number or "") if invoice.credited_invoice else "",
        pdf.name,
        pdf_sha,
        xml.name,
        xml_sha,
        state,
    )


def _rendered(invoices: list[Invoice]) -> list[Invoice]:
    """Render the PDF of the invoices the worker has not rendered yet (as ``pacte invoice pdf`` does)."""
    missing = [invoice.pk for invoice in invoices if invoice.document_id is None]
    for pk in missing:
        invoice_render_once(pk)
    if not missing:
        return invoices
    fresh = {invoice.pk: invoice for invoice in Invoice.objects.filter(pk__in=missing).select_related("document")}
    for invoice in invoices:
        if invoice.pk in fresh:
            invoice.document = fresh[invoice.pk].document
            invoice.xml_sha256 = fresh[invoice.pk].xml_sha256
    return invoices


def invoice_export(
    *,
    provider: Provider,
    to: Path,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    kind: str = "",
    today: datetime.date | None = None,
) -> ExportResult:
    """Export ``provider``'s issued invoices and credit notes (issue date in [since, until], of ``kind`` if
    given) into the folder ``to`` (created if needed). ``ExportError`` before anything is written when the
    arguments or the folder are wrong; per-document problems are in ``result.errors``."""
    if kind and kind not in InvoiceKind.values:
        raise ExportError(
            _("--kind: “%(kind)s” is not one of %(kinds)s.") % {"kind": kind, "kinds": ", ".join(InvoiceKind.values)}
        )
    if since is not None and until is not None and since > until:
        raise ExportError(_("--since is after --until: nothing can be in that range."))
    started = time.time()
    directory = _folder(Path(to))
    invoices = _rendered(list(selectors.invoices_issued(provider_id=provider.pk, since=since, until=until, kind=kind)))
    balances = selectors.invoice_balances(invoices)
    today = today or timezone.localdate()
    result = ExportResult(directory=directory, documents=len(invoices))
    _remove_stale_temporaries(directory, started, result)
    names: dict[str, str] = {}
    rows = []
    for invoice in invoices:
        number = str(invoice.number)
        stem = file_stem(number)
        if not domain.NUMBER.match(number):
            result.errors.append(_("%(number)s: not a safe file name, left out.") % {"number": number})
            continue
        if stem.casefold() in names:  # "A/1" and "A_1", or "fa-1" and "FA-1" on a case-insensitive disk
            result.errors.append(
                _("%(number)s and %(other)s would have the same file name: %(number)s left out.")
                % {"number": number, "other": names[stem.casefold()]}
            )
            continue
        names[stem.casefold()] = number
        assert invoice.document is not None
        try:
            pdf = document_content(invoice.document)
            xml = stored_xml(invoice, pdf)
        except StoredFileError as error:
            result.errors.append(f"{number}: {error}")
            continue
        pdf_path, xml_path = directory / f"{stem}.pdf", directory / f"{stem}.xml"
        _put(pdf_path, pdf, result)
        _put(xml_path, xml, result)
        state = payments.payment_state(invoice, today, balance=balances[invoice.pk])
        rows.append(_row(invoice, pdf_path, invoice.document.sha256, xml_path, sha256_hex(xml), str(state)))
    index = index_csv(rows)
    index_path = directory / INDEX
    if not (index_path.is_file() and index_path.read_bytes() == index):
        _write_atomically(index_path, index)
        result.index_written = True
    return result
