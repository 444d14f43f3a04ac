"""An invoice frozen as ``InvoiceData``: the parties, lines, VAT and mentions as of its issue.

``invoice_data`` reads the database once; ``data_to_json`` / ``data_from_json`` store it on the
invoice, so the PDF and the XML are always rendered from what was issued, whatever changes later
(the client's address, the provider's bank account).
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pacte.billing import domain
from pacte.billing.invoice_data import CREDIT_NOTE, INVOICE, InvoiceData, Line, Party, VatBreakdown
from pacte.billing.models import Invoice, InvoiceKind
from pacte.tenancy.models import Client, Provider

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
    )


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


def _mentions(
    *, professional: bool, rate: Decimal, vat_on_debits: bool, provider: Provider
) -> tuple[list[tuple[str, str]], list[str]]:
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


def context_for(invoices: list[Invoice]) -> Context:
    """Payment terms and billing e-mails of ``invoices`` in a constant number of queries."""
    from pacte.billing.drafting import Versions
    from pacte.tenancy.models import Contact, Membership, Role

    versions = Versions([invoice.contract_id for invoice in invoices if invoice.contract_id])
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
    return Context(payment_terms=terms, emails=emails)


def invoice_data(
    invoice: Invoice,
    *,
    number: str,
    issue_date: datetime.date,
    due: datetime.date | None,
    context: Context | None = None,
) -> InvoiceData:
    """The invoice as issued: parties as they are today, its lines, totals per VAT rate, mentions."""
    with translation.override("fr"):
        lines = list(invoice.lines.all())
        provider = invoice.provider
        client = invoice.client
        totals = domain.totals((line.amount, line.vat_rate) for line in lines)
        rate = invoice.penalty_rate or penalty_rate(due or issue_date)
        notes, printed = _mentions(professional=invoice.professional, rate=rate, vat_on_debits=False, provider=provider)
        days, end_of_month = context.payment_terms[invoice.pk] if context else _terms_of(invoice)
        preceding = invoice.credited_invoice
        contract = invoice.contract
        return InvoiceData(
            type_code=CREDIT_NOTE if invoice.kind == InvoiceKind.CREDIT_NOTE else INVOICE,
            number=number,
            issue_date=issue_date,
            seller=seller_party(provider),
            buyer=buyer_party(client, email=context.emails.get(client.pk, "") if context else None),
            lines=tuple(
                Line(
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
                for line in lines
            ),
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
            preceding_number=preceding.number or "" if preceding is not None else "",
            preceding_date=preceding.issue_date if preceding is not None else None,
            payment_terms=payment_terms_text(days, end_of_month)
            + (f" — {_('due %(date)s') % {'date': date_format(due, 'SHORT_DATE_FORMAT')}}" if due else ""),
            iban=provider.iban,
            bic=provider.bic,
            payment_reference=number,
            notes=tuple(notes),
            mentions=tuple(printed),
        )


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


def due_date_for(invoice: Invoice, issue_date: datetime.date, context: Context | None = None) -> datetime.date:
    days, end_of_month = context.payment_terms[invoice.pk] if context else _terms_of(invoice)
    return domain.due_date(issue_date, days=days, end_of_month=end_of_month)


# JSON --------------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {key: _jsonable(item) for key, item in vars(value).items()}  # no deep copy (asdict's cost)
    return value


def data_to_json(data: InvoiceData) -> dict[str, Any]:
    result = _jsonable(data)
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
