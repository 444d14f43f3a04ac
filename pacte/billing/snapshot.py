"""An invoice frozen as ``InvoiceData``: the parties, lines, VAT and mentions as of its issue.

``invoice_data`` reads the database once; ``data_to_json`` / ``data_from_json`` store it on the
invoice, so the PDF and the XML are always rendered from what was issued, whatever changes later
(the client's address, the provider's bank account).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import io
import json
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from pacte.billing import domain, facturx
from pacte.billing.invoice_data import CREDIT_NOTE, INVOICE, InvoiceData, Line, Party, VatBreakdown
from pacte.billing.models import Invoice, InvoiceKind
from pacte.core.text import short_date
from pacte.documents import storage
from pacte.documents.domain import sha256_hex
from pacte.tenancy.models import Client, Provider

logger = logging.getLogger(__name__)

#: ECB main refinancing operations rate in force on 1 January and 1 July (L441-10: it applies for the
#: half-year). Add the new value each half-year; a later date uses the last known one.
ECB_RATES = {
    datetime.date(2024, 1, 1): Decimal("4.50"),
    datetime.date(2024, 7, 1): Decimal("4.25"),
    datetime.date(2025, 1, 1): Decimal("3.15"),
    datetime.date(2025, 7, 1): Decimal("2.15"),
    datetime.date(2026, 1, 1): Decimal("2.15"),
    datetime.date(2026, 7, 1): Decimal("2.15"),
}
PENALTY_MARGIN = Decimal("10.00")
RECOVERY_INDEMNITY = Decimal("40.00")


def penalty_rate(day: datetime.date) -> Decimal:
    """The legal late-payment rate for an invoice due on ``day``: the ECB rate of its half-year + 10 points."""
    semester = datetime.date(day.year, 1 if day.month <= 6 else 7, 1)
    known = [start for start in ECB_RATES if start <= semester]
    rate = ECB_RATES[max(known)] if known else ECB_RATES[min(ECB_RATES)]
    return rate + PENALTY_MARGIN


def _address(value: str) -> str:
    """An e-invoicing address without a Peppol-style scheme prefix (``0225:812345676`` → ``812345676``)."""
    value = value.strip()
    return value[5:] if re.match(r"^\d{4}:", value) else value


def seller_party(provider: Provider) -> Party:
    """The provider as the seller, its logo frozen (``frozen_logo``): call it once per provider, not per invoice."""
    logo_file, logo_sha256 = frozen_logo(provider)
    return Party(
        name=provider.legal_name or provider.name,
        address=provider.address,
        postal_code=provider.postal_code,
        city=provider.city,
        country=provider.country,
        siren=provider.siren,
        siret=provider.siret,
        vat_number=provider.vat_number,
        einvoicing_address=_address(provider.einvoicing_address) or provider.siren,
        legal_form=provider.legal_form,
        share_capital=provider.share_capital,
        rcs_city=provider.rcs_city,
        logo_file=logo_file,
        logo_sha256=logo_sha256,
    )


#: The longest side of a printed logo, in pixels (over 900 dpi at the 55 mm the PDF gives it: more only weighs).
LOGO_MAX_SIDE = 2000
#: What WeasyPrint embeds as it is in a PDF/A with an sRGB output intent: an RGB or grey PNG or JPEG.
LOGO_KEPT_MODES = {"PNG": {"1", "L", "LA", "P", "RGB", "RGBA"}, "JPEG": {"L", "RGB"}}


def frozen_logo(provider: Provider) -> tuple[str, str]:
    """(storage name, SHA-256) of the provider's logo as invoices print it, or ``("", "")`` without one.

    The logo is copied into the documents store as ``documents/<provider id>/logos/<sha256>.<ext>``:
    the same picture is one file, a new logo is another one, and no file is ever rewritten, so an issued
    invoice prints its logo forever. A logo that cannot be read any more (file lost, damaged) is logged
    and left out: issuing never waits on a picture.
    """
    if not provider.logo:
        return "", ""
    try:
        with provider.logo.open("rb") as handle:
            content, extension = printable_logo(handle.read())
    except Exception:  # the file is gone, or Pillow cannot decode it (it raises many kinds)
        logger.warning("The logo of provider #%s cannot be read: invoices are issued without it.", provider.pk)
        return "", ""
    digest = sha256_hex(content)
    name = f"{storage.PREFIX}/{provider.pk}/logos/{digest}{extension}"
    if not storage.path_of(name).exists():
        with contextlib.suppress(FileExistsError):  # another worker froze the same picture a moment ago
            storage.write_new(name, content)
    return name, digest


def printable_logo(content: bytes) -> tuple[bytes, str]:
    """The logo's bytes as a PDF/A-3 embeds them, and their extension.

    An RGB or grey PNG or JPEG of at most ``LOGO_MAX_SIDE`` pixels is kept as uploaded (PNG transparency
    included: PDF/A-3 allows soft masks). Anything else — a CMYK JPEG (DeviceCMYK is not allowed under
    the sRGB output intent), a 16-bit PNG, a huge picture — is re-encoded as an sRGB PNG, transparency kept.
    """
    from PIL import Image

    with Image.open(io.BytesIO(content)) as image:
        kept = image.mode in LOGO_KEPT_MODES.get(str(image.format), set())
        if kept and max(image.size) <= LOGO_MAX_SIDE:
            return content, ".png" if image.format == "PNG" else ".jpg"
        alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
        converted = image.convert("RGBA" if alpha else "RGB")
    converted.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE))
    output = io.BytesIO()
    converted.save(output, format="PNG")
    return output.getvalue(), ".png"


def buyer_party(client: Client, *, email: str | None = None) -> Party:
    return Party(
        name=client.name,
        address=client.address,
        postal_code=client.postal_code,
        city=client.city,
        country=client.country,
        siren=client.siren,
        siret=client.siret,
        vat_number=client.vat_number,
        einvoicing_address=client.siren,
        is_professional=client.is_professional,
        email=_billing_email(client) if email is None else email,
    )


def _billing_email(client: Client) -> str:
    """Where the client receives invoices (BT-49 for a client without a SIREN): its manager's, else a contact's."""
    from pacte.tenancy.models import Contact, Membership, Role

    manager = (
        Membership.objects.filter(client=client, role=Role.CLIENT_MANAGER, is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if manager is not None and manager.user.email:
        return str(manager.user.email)
    contact = Contact.objects.filter(client=client, archived_at__isnull=True).exclude(email="").order_by("pk").first()
    return contact.email if contact is not None else ""


def payment_terms_text(days: int, end_of_month: bool) -> str:
    if end_of_month:
        return _("%(days)s days end of month") % {"days": days}
    if days == 0:
        return _("On receipt")
    return _("%(days)s days from the invoice date") % {"days": days}


def _mentions(*, professional: bool, rate: Decimal, vat_on_debits: bool) -> tuple[list[tuple[str, str]], list[str]]:
    """(Factur-X notes with their subject codes, the mentions printed on the PDF)."""
    no_discount = _("No discount for early payment.")
    notes = [("AAB", no_discount)]
    printed = [no_discount]
    if professional:
        penalties = _(
            "Late payment: penalties at %(rate)s %% a year (ECB rate + 10 points) from the day after the due date."
        ) % {"rate": f"{rate:.2f}".replace(".", ",")}
        indemnity = _("Fixed indemnity for recovery costs in case of late payment: 40 € (Code de commerce L441-10).")
        notes += [("PMD", penalties), ("PMT", indemnity)]
        printed += [penalties, indemnity]
    else:
        late = _("Late payment: interest at the legal rate from the due date.")
        notes += [("PMD", late), ("PMT", _("No recovery indemnity: the client is not a professional."))]
        printed.append(late)
    if vat_on_debits:
        printed.append(_("VAT paid on debits (option pour le paiement de la taxe d'après les débits)."))
    printed.append(_("Nature of the operation: services."))
    return notes, printed


@dataclass(frozen=True)
class Context:
    """What ``invoice_data`` reads besides the invoice, fetched once for many invoices (``context_for``)."""

    payment_terms: dict[int, tuple[int, bool]]  # invoice id → (days, end of month)
    emails: dict[int, str]  # client id → billing e-mail
    lines: dict[int, tuple[Line, ...]] = dataclasses.field(default_factory=dict)  # invoice id → its lines
    sellers: dict[int, Party] = dataclasses.field(default_factory=dict)  # provider id → the seller, logo frozen


#: ``InvoiceLine`` columns as ``Line`` takes them (``context_for`` reads tuples: no model instance per line).
LINE_VALUES = (
    "invoice_id",
    "position",
    "description",
    "quantity",
    "unit_code",
    "unit_price",
    "amount",
    "vat_rate",
    "period_start",
    "period_end",
)


def _lines_of(invoice_ids: list[int]) -> dict[int, tuple[Line, ...]]:
    from pacte.billing.models import InvoiceLine

    found: dict[int, list[Line]] = {pk: [] for pk in invoice_ids}
    rows = InvoiceLine.objects.filter(invoice_id__in=invoice_ids).order_by("invoice_id", "position")
    names = LINE_VALUES[1:]
    for invoice_id, *values in rows.values_list(*LINE_VALUES):
        found[invoice_id].append(Line(**dict(zip(names, values, strict=True))))
    return {pk: tuple(lines) for pk, lines in found.items()}


def context_for(invoices: list[Invoice], *, lines: bool = False, versions: Any = None) -> Context:
    """Payment terms, billing e-mails, sellers (and with ``lines`` the lines) of ``invoices`` in a constant
    number of queries."""
    from pacte.billing.drafting import Versions
    from pacte.tenancy.models import Contact, Membership, Role

    versions = versions or Versions([invoice.contract_id for invoice in invoices if invoice.contract_id])
    terms: dict[int, tuple[int, bool]] = {}
    for invoice in invoices:
        found = None
        if invoice.contract is not None:
            found = versions.at(invoice.contract, invoice.service_start or invoice.contract.start_date)
        terms[invoice.pk] = (found.payment_terms.days, found.payment_terms.end_of_month) if found else (30, False)
    client_ids = {invoice.client_id for invoice in invoices}
    emails: dict[int, str] = {}
    for contact in (
        Contact.objects.filter(client_id__in=client_ids, archived_at__isnull=True).exclude(email="").order_by("-pk")
    ):
        emails[contact.client_id] = contact.email
    for membership in (
        Membership.objects.filter(client_id__in=client_ids, role=Role.CLIENT_MANAGER, is_active=True)
        .select_related("user")
        .order_by("-pk")
    ):
        if membership.user.email and membership.client_id is not None:
            emails[membership.client_id] = str(membership.user.email)
    sellers: dict[int, Party] = {}
    for invoice in invoices:
        if invoice.provider_id not in sellers:
            sellers[invoice.provider_id] = seller_party(invoice.provider)
    return Context(
        payment_terms=terms,
        emails=emails,
        lines=_lines_of([invoice.pk for invoice in invoices]) if lines else {},
        sellers=sellers,
    )


def invoice_data(
    invoice: Invoice,
    *,
    number: str,
    issue_date: datetime.date,
    due: datetime.date | None,
    context: Context | None = None,
) -> InvoiceData:
    """The invoice as issued: parties as they are today, its lines, totals per VAT rate, mentions."""
    with _french():
        if context is not None and invoice.pk in context.lines:
            lines = context.lines[invoice.pk]
        else:
            lines = tuple(_line(line) for line in invoice.lines.all())
        provider = invoice.provider
        client = invoice.client
        totals = domain.totals((line.amount, line.vat_rate) for line in lines)
        rate = invoice.penalty_rate or penalty_rate(due or issue_date)
        notes, printed = _mentions_cached(invoice.professional, rate, False, translation.get_language())
        days, end_of_month = context.payment_terms[invoice.pk] if context else _terms_of(invoice)
        preceding = invoice.credited_invoice
        contract = invoice.contract
        credit_note = invoice.kind == InvoiceKind.CREDIT_NOTE
        preceding_number = preceding.number or "" if preceding is not None else ""
        preceding_date = preceding.issue_date if preceding is not None else None
        if credit_note:  # no due date, nothing paid to the seller's account: BT-20 says what becomes of it
            due = None
            terms = facturx.credit_note_terms(preceding_number, preceding_date)
        else:
            terms = payment_terms_text(days, end_of_month) + (
                f" — {_('due %(date)s') % {'date': short_date(due)}}" if due else ""
            )
        return InvoiceData(
            type_code=CREDIT_NOTE if credit_note else INVOICE,
            number=number,
            issue_date=issue_date,
            seller=context.sellers.get(invoice.provider_id) or seller_party(provider)
            if context
            else seller_party(provider),
            buyer=buyer_party(client, email=context.emails.get(client.pk, "") if context else None),
            lines=lines,
            vat=totals.breakdown,
            total_net=totals.net,
            total_vat=totals.vat,
            total_gross=totals.gross,
            amount_due=totals.gross,
            due_date=due,
            service_start=invoice.service_start,
            service_end=invoice.service_end,
            purchase_order=invoice.purchase_order,
            contract_reference=contract.reference if contract is not None else "",
            preceding_number=preceding_number,
            preceding_date=preceding_date,
            payment_terms=terms,
            iban="" if credit_note else provider.iban,
            bic="" if credit_note else provider.bic,
            payment_reference=number,
            notes=tuple(notes),
            mentions=tuple(printed),
        )


def _french() -> Any:
    """French for the invoice's texts (switching costs more than the rest of a snapshot: not when it already is)."""
    return contextlib.nullcontext() if translation.get_language() == "fr" else translation.override("fr")


def _line(line: Any) -> Line:
    return Line(
        position=line.position,
        description=line.description,
        quantity=Decimal(line.quantity),
        unit_code=line.unit_code,
        unit_price=Decimal(line.unit_price),
        amount=Decimal(line.amount),
        vat_rate=Decimal(line.vat_rate),
        period_start=line.period_start,
        period_end=line.period_end,
    )


@functools.lru_cache(maxsize=256)
def _mentions_cached(
    professional: bool, rate: Decimal, vat_on_debits: bool, language: str | None
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """``_mentions`` for one set of inputs in one language: the same few texts on thousands of invoices."""
    notes, printed = _mentions(professional=professional, rate=rate, vat_on_debits=vat_on_debits)
    return tuple(notes), tuple(printed)


def _terms_of(invoice: Invoice) -> tuple[int, bool]:
    """The payment terms of the invoice's contract in force on its service start (30 days without one)."""
    from pacte.contracts.selectors import contract_terms_at

    if invoice.contract is None:
        return 30, False
    version = contract_terms_at(invoice.contract, invoice.service_start or invoice.contract.start_date)
    if version is None:
        return 30, False
    terms = version.terms.payment_terms
    return terms.days, terms.end_of_month


def due_date_for(invoice: Invoice, issue_date: datetime.date, context: Context | None = None) -> datetime.date | None:
    """When the invoice is due under its contract's payment terms; ``None`` for a credit note, which is not
    paid but deducted from the invoice it corrects (or refunded)."""
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        return None
    days, end_of_month = context.payment_terms[invoice.pk] if context else _terms_of(invoice)
    return domain.due_date(issue_date, days=days, end_of_month=end_of_month)


# JSON --------------------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return vars(value)
    raise TypeError(f"{type(value).__name__} is not JSON data")


def data_to_json(data: InvoiceData) -> dict[str, Any]:
    """``data`` as JSON data (decimals as strings, dates ISO): the C encoder and decoder do the walking."""
    result = json.loads(json.dumps(data, default=_json_default))
    assert isinstance(result, dict)
    return result


def _values(cls: type, raw: dict[str, Any]) -> dict[str, Any]:
    """``raw``'s fields of the data class ``cls``, decimals and dates typed back."""
    values: dict[str, Any] = {}
    for item in dataclasses.fields(cls):
        if item.name not in raw:
            continue
        value, kind = raw[item.name], str(item.type)
        if value is not None and "Decimal" in kind:
            value = Decimal(value)
        elif value is not None and "datetime.date" in kind:
            value = datetime.date.fromisoformat(value)
        values[item.name] = value
    return values


NESTED = {"seller", "buyer", "lines", "vat", "notes", "mentions"}


def data_from_json(raw: dict[str, Any]) -> InvoiceData:
    return InvoiceData(
        **_values(InvoiceData, {key: value for key, value in raw.items() if key not in NESTED}),
        seller=Party(**_values(Party, raw["seller"])),
        buyer=Party(**_values(Party, raw["buyer"])),
        lines=tuple(Line(**_values(Line, line)) for line in raw["lines"]),
        vat=tuple(VatBreakdown(**_values(VatBreakdown, item)) for item in raw["vat"]),
        notes=tuple((code, text) for code, text in raw.get("notes", ())),
        mentions=tuple(raw.get("mentions", ())),
    )
