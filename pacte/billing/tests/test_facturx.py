"""Factur-X: the CII XML of invoices and credit notes against the XSD and both rule sets, and the PDF/A-3 around it."""

from __future__ import annotations

import dataclasses
import datetime
import io
import secrets
import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal

import facturx as facturx_lib
import pikepdf
import pytest
from lxml import etree

from pacte.billing import facturx
from pacte.billing.invoice_data import (
    CREDIT_NOTE,
    INVOICE,
    UNIT_HOUR,
    UNIT_ONE,
    InvoiceData,
    Line,
    Party,
    VatBreakdown,
)
from pacte.documents import rendering, sealing, storage
from pacte.documents.services import document_create_pdf

NS = facturx.NSMAP
FX = "{" + facturx.XMP_NAMESPACE + "}"
CENT = Decimal("0.01")

SELLER = Party(
    name="Pacte Démo Services",
    address="12 rue de la République\nBâtiment B",
    postal_code="69002",
    city="Lyon",
    siren="732829320",
    siret="73282932000074",
    vat_number="FR44732829320",
    legal_form="SAS",
    share_capital=Decimal("10000"),
    rcs_city="Lyon",
    email="facturation@demo.pacte.test",
)
BUYER = Party(
    name="Cabinet Comptable Lyon",
    address="5 place Bellecour",
    postal_code="69002",
    city="Lyon",
    siren="404833048",
    vat_number="FR83404833048",
)
CONSUMER = Party(
    name="Association Les Amis du Quartier",
    address="3 rue des Lilas",
    postal_code="57000",
    city="Metz",
    is_professional=False,
    email="tresorier@amis-quartier.example",
)
MARCH_START, MARCH_END = datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)


def line(position: int, description: str, quantity: str, unit: str, price: str, rate: str = "20.00", **extra) -> Line:
    amount = (Decimal(quantity) * Decimal(price)).quantize(CENT, rounding=ROUND_HALF_UP)
    return Line(position, description, Decimal(quantity), unit, Decimal(price), amount, Decimal(rate), **extra)


def invoice(lines: tuple[Line, ...], **fields) -> InvoiceData:
    """DOMAIN.md's rounding: each line to the cent, lines summed per rate, VAT on each rate's total."""
    rates = sorted({item.vat_rate for item in lines}, reverse=True)
    vat = []
    for rate in rates:
        basis = sum((item.amount for item in lines if item.vat_rate == rate), Decimal("0"))
        vat.append(VatBreakdown(rate, "S", basis, (basis * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)))
    total_net = sum((item.amount for item in lines), Decimal("0"))
    total_vat = sum((item.amount for item in vat), Decimal("0"))
    values = {
        "type_code": INVOICE,
        "number": "FA-2026-000123",
        "issue_date": datetime.date(2026, 4, 1),
        "seller": SELLER,
        "buyer": BUYER,
        "lines": lines,
        "vat": tuple(vat),
        "total_net": total_net,
        "total_vat": total_vat,
        "total_gross": total_net + total_vat,
        "amount_due": total_net + total_vat,
        "due_date": datetime.date(2026, 5, 1),
        "service_start": MARCH_START,
        "service_end": MARCH_END,
        "purchase_order": "BC-4521",
        "contract_reference": "CT-2026-0007",
        "payment_terms": "30 jours date de facture",
        "iban": "FR7630006000011234567890189",
        "bic": "AGRIFRPP",
    }
    values.update(fields)
    return InvoiceData(**values)


def worked_example() -> InvoiceData:
    """DOMAIN / issue worked example 1: a 900.00 monthly fee and 2.25 h of overage at 95.00."""
    return invoice(
        (
            line(
                1,
                "Forfait maintenance mensuel — mars 2026",
                "1",
                UNIT_ONE,
                "900.00",
                period_start=MARCH_START,
                period_end=MARCH_END,
            ),
            line(2, "Dépassement du forfait d'heures", "2.25", UNIT_HOUR, "95.00"),
        )
    )


def credit_note() -> InvoiceData:
    return invoice(
        (line(1, "Avoir : dépassement facturé à tort", "2.25", UNIT_HOUR, "95.00"),),
        type_code=CREDIT_NOTE,
        number="AV-2026-000004",
        preceding_number="FA-2026-000123",
        preceding_date=datetime.date(2026, 4, 1),
        due_date=None,
        payment_terms="",
        purchase_order="",
        iban="",  # nothing is paid to the seller: a credit note carries no payment account (snapshot)
        bic="",
    )


def two_rates() -> InvoiceData:
    return invoice(
        (
            line(1, "Forfait maintenance mensuel", "1", UNIT_ONE, "900.00"),
            line(2, "Formation bureautique", "3", UNIT_HOUR, "50.00", rate="10.00"),
        )
    )


def consumer_invoice() -> InvoiceData:
    return invoice(
        (line(1, "Assistance informatique à domicile", "1.5", UNIT_HOUR, "60.00"),), buyer=CONSUMER, purchase_order=""
    )


def xpath(xml: bytes, path: str) -> list[str]:
    return [
        str(node.text if hasattr(node, "text") else node) for node in etree.fromstring(xml).xpath(path, namespaces=NS)
    ]


# The XML -------------------------------------------------------------------------------------------


def test_worked_example_adds_up_as_domain_says():
    data = worked_example()
    assert data.lines[1].amount == Decimal("213.75")
    assert (data.total_net, data.total_vat, data.total_gross) == (
        Decimal("1113.75"),
        Decimal("222.75"),
        Decimal("1336.50"),
    )


def test_worked_example_xml_carries_the_invoice():
    xml = facturx.cii_xml(worked_example())
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = "/rsm:CrossIndustryInvoice"
    context = f"{root}/rsm:ExchangedDocumentContext"
    assert xpath(xml, f"{context}/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == ["S1"]
    assert xpath(xml, f"{context}/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == ["urn:cen.eu:en16931:2017"]
    assert xpath(xml, f"{root}/rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    assert xpath(xml, f"{root}/rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString") == ["20260401"]
    notes = xpath(xml, f"{root}/rsm:ExchangedDocument/ram:IncludedNote/ram:SubjectCode")
    assert sorted(notes) == ["AAB", "BAR", "PMD", "PMT"]
    trade = f"{root}/rsm:SupplyChainTradeTransaction"
    items = f"{trade}/ram:IncludedSupplyChainTradeLineItem"
    assert xpath(xml, f"{items}/ram:SpecifiedLineTradeDelivery/ram:BilledQuantity") == ["1", "2.25"]
    assert xpath(xml, f"{items}/ram:SpecifiedLineTradeDelivery/ram:BilledQuantity/@unitCode") == ["C62", "HUR"]
    assert xpath(xml, f"{items}/ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount") == [
        "900.00",
        "95.00",
    ]
    line_totals = f"{items}/ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation"
    assert xpath(xml, f"{line_totals}/ram:LineTotalAmount") == ["900.00", "213.75"]
    assert xpath(xml, f"{items}[1]//ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString") == ["20260301"]
    seller = f"{trade}/ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty"
    buyer = f"{trade}/ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty"
    assert xpath(xml, f"{seller}/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']") == ["732829320"]
    assert xpath(xml, f"{seller}/ram:GlobalID[@schemeID='0009']") == ["73282932000074"]
    assert xpath(xml, f"{seller}/ram:URIUniversalCommunication/ram:URIID[@schemeID='0225']") == ["732829320"]
    assert xpath(xml, f"{seller}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == ["FR44732829320"]
    assert xpath(xml, f"{seller}/ram:Description") == [
        "SAS au capital de 10\u00a0000 € - RCS Lyon 732\u00a0829\u00a0320"
    ]
    assert xpath(xml, f"{buyer}/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']") == ["404833048"]
    assert xpath(xml, f"{buyer}/ram:URIUniversalCommunication/ram:URIID[@schemeID='0225']") == ["404833048"]
    agreement = f"{trade}/ram:ApplicableHeaderTradeAgreement"
    assert xpath(xml, f"{agreement}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == ["BC-4521"]
    assert xpath(xml, f"{agreement}/ram:ContractReferencedDocument/ram:IssuerAssignedID") == ["CT-2026-0007"]
    settlement = f"{trade}/ram:ApplicableHeaderTradeSettlement"
    means = f"{settlement}/ram:SpecifiedTradeSettlementPaymentMeans"
    assert xpath(xml, f"{means}/ram:TypeCode") == ["58"]
    assert xpath(xml, f"{means}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == ["FR7630006000011234567890189"]
    assert xpath(xml, f"{settlement}/ram:ApplicableTradeTax/ram:BasisAmount") == ["1113.75"]
    assert xpath(xml, f"{settlement}/ram:ApplicableTradeTax/ram:CalculatedAmount") == ["222.75"]
    assert xpath(xml, f"{settlement}/ram:ApplicableTradeTax/ram:RateApplicablePercent") == ["20.00"]
    assert xpath(xml, f"{settlement}/ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString") == ["20260331"]
    terms = f"{settlement}/ram:SpecifiedTradePaymentTerms"
    assert xpath(xml, f"{terms}/ram:DueDateDateTime/udt:DateTimeString") == ["20260501"]
    sums = f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert xpath(xml, f"{sums}/ram:TaxBasisTotalAmount") == ["1113.75"]
    assert xpath(xml, f"{sums}/ram:TaxTotalAmount") == ["222.75"]
    assert xpath(xml, f"{sums}/ram:TaxTotalAmount/@currencyID") == ["EUR"]
    assert xpath(xml, f"{sums}/ram:GrandTotalAmount") == ["1336.50"]
    assert xpath(xml, f"{sums}/ram:DuePayableAmount") == ["1336.50"]
    assert not xpath(xml, f"{settlement}/ram:ApplicableTradeTax/ram:DueDateTypeCode")  # no VAT-on-debits option


def test_worked_example_passes_the_xsd_and_both_rule_sets():
    report = facturx.validate(facturx.cii_xml(worked_example()))
    assert report.xsd_errors == ()
    assert report.fatal_count == 0, report.summary()
    assert report.ok
    assert report.warning_count == 0, report.summary()


def test_the_factur_x_package_agrees_on_the_xsd_and_the_level():
    xml = facturx.cii_xml(worked_example())
    assert facturx_lib.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert facturx_lib.get_level(etree.fromstring(xml)) == "en16931"


def test_credit_note_references_the_invoice_it_corrects_and_passes():
    xml = facturx.cii_xml(credit_note())
    assert xpath(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    reference = "//ram:ApplicableHeaderTradeSettlement/ram:InvoiceReferencedDocument"
    assert xpath(xml, f"{reference}/ram:IssuerAssignedID") == ["FA-2026-000123"]
    assert xpath(xml, f"{reference}/ram:FormattedIssueDateTime/qdt:DateTimeString") == ["20260401"]
    # No due date (BT-9): with a positive amount due (BT-115), the payment terms (BT-20) say what becomes of
    # the amount (BR-CO-25); no payment means either (BG-16 is optional, the seller is not paid).
    assert xpath(xml, "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime") == []
    assert xpath(xml, "//ram:SpecifiedTradePaymentTerms/ram:Description") == [
        "Avoir à déduire du règlement de la facture FA-2026-000123 du 01/04/2026, ou à rembourser."
    ]
    assert xpath(xml, "//ram:DuePayableAmount") == ["256.50"]
    assert xpath(xml, "//ram:SpecifiedTradeSettlementPaymentMeans") == []
    report = facturx.validate(xml)
    assert report.ok and report.fatal_count == 0, report.summary()


def test_credit_note_without_payment_terms_nor_due_date_would_break_br_co_25():
    """What the BT-20 of a credit note is for: without it and without BT-9, BR-CO-25 is fatal."""
    data = dataclasses.replace(credit_note(), preceding_number="", preceding_date=None)
    xml = facturx.cii_xml(data)
    assert xpath(xml, "//ram:SpecifiedTradePaymentTerms") == []
    assert "BR-CO-25" in facturx.validate(xml).fatal_rules  # checked by us: the Factur-X Schematron omits it
    paid = dataclasses.replace(worked_example(), due_date=None, payment_terms="", amount_due=Decimal("0.00"))
    assert "BR-CO-25" not in facturx.validate(facturx.cii_xml(paid)).fatal_rules  # nothing due: nothing to say
    assert facturx.credit_note_terms("FA-2026-000123", None) == (
        "Avoir à déduire du règlement de la facture FA-2026-000123, ou à rembourser."
    )
    assert facturx.credit_note_terms("", None) == ""


def test_credit_note_without_the_invoice_it_corrects_is_fatal():
    data = dataclasses.replace(credit_note(), preceding_number="", preceding_date=None, payment_terms="Remboursement")
    report = facturx.validate(facturx.cii_xml(data))
    assert "BR-FR-CO-05_BT-3" in report.fatal_rules


def test_two_vat_rates_get_one_breakdown_each_and_pass():
    data = two_rates()
    assert [(vat.rate, vat.basis, vat.amount) for vat in data.vat] == [
        (Decimal("20.00"), Decimal("900.00"), Decimal("180.00")),
        (Decimal("10.00"), Decimal("150.00"), Decimal("15.00")),
    ]
    xml = facturx.cii_xml(data)
    taxes = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
    assert xpath(xml, f"{taxes}/ram:RateApplicablePercent") == ["20.00", "10.00"]
    assert xpath(xml, f"{taxes}/ram:CalculatedAmount") == ["180.00", "15.00"]
    report = facturx.validate(xml)
    assert report.ok, report.summary()


def test_overseas_rate_8_5_is_written_as_the_french_rules_list_it():
    data = invoice((line(1, "Maintenance (La Réunion)", "1", UNIT_ONE, "1250.00", rate="8.50"),))
    xml = facturx.cii_xml(data)
    assert xpath(xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent") == [
        "8.50"
    ]
    assert facturx.validate(xml).ok


def test_buyer_that_is_not_a_professional_without_siren_passes():
    xml = facturx.cii_xml(consumer_invoice())
    buyer = "//ram:BuyerTradeParty"
    assert not xpath(xml, f"{buyer}/ram:SpecifiedLegalOrganization")
    assert xpath(xml, f"{buyer}/ram:URIUniversalCommunication/ram:URIID") == ["tresorier@amis-quartier.example"]
    assert xpath(xml, f"{buyer}/ram:URIUniversalCommunication/ram:URIID/@schemeID") == ["EM"]
    notes = dict(
        zip(xpath(xml, "//ram:IncludedNote/ram:SubjectCode"), xpath(xml, "//ram:IncludedNote/ram:Content"), strict=True)
    )
    # BR-FR-05 wants PMT, PMD and AAB whoever the buyer is: they say the B2B terms do not apply.
    assert "sans objet" in notes["PMT"] and "40 €" not in notes["PMT"]
    assert "sans objet" in notes["PMD"]
    assert notes["AAB"] == "Pas d’escompte pour paiement anticipé."
    assert notes["BAR"] == "B2C"
    report = facturx.validate(xml)
    assert report.ok, report.summary()


def test_professional_buyer_without_siren_is_fatal_and_names_the_rules():
    data = dataclasses.replace(worked_example(), buyer=dataclasses.replace(BUYER, siren=""))
    report = facturx.validate(facturx.cii_xml(data))
    assert not report.ok
    assert {"BR-FR-11_BT-47", "BR-FR-12_BT-49", "BR-FR-21_BT-49"} <= report.fatal_rules
    assert all(failure.flag == "fatal" for failure in report.br_fr)


def test_wrong_totals_are_fatal_and_name_the_rules():
    data = dataclasses.replace(worked_example(), total_net=Decimal("1100.00"), total_gross=Decimal("1340.00"))
    report = facturx.validate(facturx.cii_xml(data))
    assert {"BR-CO-10", "BR-CO-15"} <= report.fatal_rules
    (failure,) = [failure for failure in report.en16931 if failure.id == "BR-CO-10"]
    rule_id, flag, text, location = failure
    assert (rule_id, flag) == ("BR-CO-10", "fatal")
    assert "BT-106" in text and location.startswith("/")


def test_vat_not_matching_its_basis_is_fatal():
    data = worked_example()
    wrong = (dataclasses.replace(data.vat[0], amount=Decimal("230.00")),)
    data = dataclasses.replace(
        data, vat=wrong, total_vat=Decimal("230.00"), total_gross=Decimal("1343.75"), amount_due=Decimal("1343.75")
    )
    assert {"BR-CO-17", "BR-S-09"} <= facturx.validate(facturx.cii_xml(data)).fatal_rules


def test_invoice_number_outside_the_french_alphabet_is_fatal():
    data = dataclasses.replace(worked_example(), number="FA 2026.12")
    assert "BR-FR-02_BT-1" in facturx.validate(facturx.cii_xml(data)).fatal_rules


def test_vat_on_debits_is_declared():
    xml = facturx.cii_xml(dataclasses.replace(worked_example(), vat_on_debits=True))
    assert xpath(xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:DueDateTypeCode") == ["5"]
    notes = dict(
        zip(xpath(xml, "//ram:IncludedNote/ram:SubjectCode"), xpath(xml, "//ram:IncludedNote/ram:Content"), strict=True)
    )
    assert notes["TXD"] == "Option pour le paiement de la taxe d'après les débits."
    assert facturx.validate(xml).ok


def test_notes_the_caller_gave_are_kept_and_not_doubled():
    data = dataclasses.replace(
        worked_example(), notes=(("PMT", "Indemnité forfaitaire de 40 €."), ("", "Merci de votre confiance."))
    )
    xml = facturx.cii_xml(data)
    assert xpath(xml, "//ram:IncludedNote/ram:SubjectCode") == ["PMT", "PMD", "AAB", "BAR"]
    assert xpath(xml, "//ram:IncludedNote/ram:Content")[:2] == [
        "Indemnité forfaitaire de 40 €.",
        "Merci de votre confiance.",
    ]
    assert facturx.validate(xml).ok


def test_agreed_penalty_rate_is_stated():
    data = dataclasses.replace(worked_example(), late_penalty_rate=Decimal("12.15"))
    notes = dict(facturx.default_notes(data))
    assert "taux annuel de 12,15 %" in notes["PMD"]


def test_service_credit_line_keeps_a_positive_price_and_passes():
    credit = line(3, "Pénalité SLA (avoir de service)", "1", UNIT_ONE, "-50.00")
    data = invoice((*worked_example().lines, credit))
    xml = facturx.cii_xml(data)
    item = "//ram:IncludedSupplyChainTradeLineItem[3]"
    assert xpath(xml, f"{item}//ram:ChargeAmount") == ["50.00"]
    assert xpath(xml, f"{item}//ram:BilledQuantity") == ["-1"]
    assert xpath(xml, f"{item}//ram:LineTotalAmount") == ["-50.00"]
    assert facturx.validate(xml).ok


def test_place_of_service_and_prepaid_amount_pass():
    site = Party(name="Site de Villeurbanne", address="8 avenue Einstein", postal_code="69100", city="Villeurbanne")
    data = dataclasses.replace(worked_example(), delivery=site, amount_due=Decimal("1000.00"))
    xml = facturx.cii_xml(data)
    assert xpath(xml, "//ram:ShipToTradeParty/ram:Name") == ["Site de Villeurbanne"]
    assert xpath(xml, "//ram:TotalPrepaidAmount") == ["336.50"]
    assert facturx.validate(xml).ok


@pytest.mark.parametrize(
    ("function", "value", "text"),
    [
        (facturx.amount_text, Decimal("1113.75"), "1113.75"),
        (facturx.amount_text, Decimal("1336.5"), "1336.50"),
        (facturx.amount_text, Decimal("-95"), "-95.00"),
        (facturx.amount_text, Decimal("1E+3"), "1000.00"),
        (facturx.quantity_text, Decimal("2.2500"), "2.25"),
        (facturx.quantity_text, Decimal("1.0000"), "1"),
        (facturx.quantity_text, Decimal("0.1250"), "0.125"),
        (facturx.quantity_text, Decimal("100"), "100"),
        (facturx.price_text, Decimal("95"), "95.00"),
        (facturx.price_text, Decimal("12.3456"), "12.3456"),
        (facturx.rate_text, Decimal("20"), "20.00"),
        (facturx.rate_text, Decimal("8.5"), "8.50"),
    ],
)
def test_numbers_are_written_as_the_xsd_and_br_fr_dec_rules_expect(function, value, text):
    assert function(value) == text


def test_broken_xml_is_reported_not_raised():
    assert facturx.validate(b"<rsm:CrossIndustryInvoice").xsd_errors[0].startswith("Not well-formed XML")
    doctype = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    report = facturx.validate(doctype)
    assert report.fatal_count == 1 and not report.ok
    # An element out of place is an XSD error, still checked by both rule sets.
    xml = facturx.cii_xml(worked_example()).replace(
        b"<ram:LineID>1</ram:LineID>", b"<ram:LineNumber>1</ram:LineNumber>"
    )
    report = facturx.validate(xml)
    assert report.xsd_errors and "LineNumber" in report.xsd_errors[0]


# The PDF ---------------------------------------------------------------------------------------------


def facturx_pdf(data: InvoiceData) -> tuple[bytes, bytes]:
    xml = facturx.cii_xml(data)
    html = rendering.html_render(template_name="billing/pdf/invoice.html", context=facturx.invoice_pdf_context(data))
    pdf = rendering.pdf_from_html(
        html,
        identifier=secrets.token_bytes(16),
        attachments=[facturx.facturx_attachment(xml)],
        xmp=facturx.facturx_xmp(),
    )
    return pdf, xml


def assert_is_facturx_en16931(pdf: bytes, xml: bytes) -> None:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert list(document.attachments) == ["factur-x.xml"]
        embedded = document.attachments["factur-x.xml"]
        assert embedded.get_file().read_bytes() == xml
        assert str(embedded.obj.AFRelationship) == "/Alternative"
        assert {str(spec.F) for spec in document.Root.AF} == {"factur-x.xml"}
        assert document.Root.Metadata.read_bytes().count(b"<rdf:RDF") == 1  # one rdf:RDF, as XMP readers expect
        metadata = document.open_metadata()
        assert (metadata.get("pdfaid:part"), metadata.get("pdfaid:conformance")) == ("3", "B")
        assert metadata.get(f"{FX}ConformanceLevel") == "EN 16931"
        assert metadata.get(f"{FX}DocumentType") == "INVOICE"
        assert metadata.get(f"{FX}DocumentFileName") == "factur-x.xml"
        assert metadata.get(f"{FX}Version") == "1.0"
    name, extracted = facturx_lib.get_facturx_xml_from_pdf(pdf, check_xsd=True)
    assert (name, extracted) == ("factur-x.xml", xml)
    assert facturx_lib.get_level(etree.fromstring(extracted)) == "en16931"


def pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    result = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)  # noqa: S607
    return " ".join(result.stdout.decode().replace("\u202f", " ").split())  # every space, no-break ones too


def test_pdf_is_a_factur_x_en16931_pdf_a_3b():
    pdf, xml = facturx_pdf(worked_example())
    assert_is_facturx_en16931(pdf, xml)
    text = pdf_text(pdf)
    for expected in (
        "FA-2026-000123",
        "Pacte Démo Services",
        "Cabinet Comptable Lyon",
        "732 829 320",
        "404 833 048",
        "FR44732829320",
        "FR83404833048",
        "01/04/2026",
        "01/05/2026",
        "2,25",
        "95,00 €",
        "213,75 €",
        "1 113,75 €",
        "222,75 €",
        "1 336,50 €",
        "BC-4521",
        "CT-2026-0007",
        "FR76 3000 6000 0112 3456 7890 189",
        "AGRIFRPP",
        "40 €",
        "10 000 €",
    ):
        assert expected in text, expected


def test_credit_note_pdf_names_the_invoice_and_consumer_pdf_leaves_out_the_b2b_terms():
    pdf, xml = facturx_pdf(credit_note())
    assert_is_facturx_en16931(pdf, xml)
    text = pdf_text(pdf)
    assert "AV-2026-000004" in text and "FA-2026-000123" in text

    pdf, xml = facturx_pdf(consumer_invoice())
    text = pdf_text(pdf)
    assert "Association Les Amis du Quartier" in text
    assert "40 €" not in text and "L441-10" not in text


def test_sealing_keeps_the_factur_x(seal_files):
    pdf, xml = facturx_pdf(two_rates())
    material = sealing.seal_material_load(
        sealing.SealConfiguration(path=str(seal_files.valid), password=seal_files.password),
        now=datetime.datetime.now(datetime.UTC),
    )
    sealed = sealing.pdf_seal(pdf, material, signer_name="Pacte Démo Services")
    assert sealed.startswith(pdf)  # an incremental update
    assert_is_facturx_en16931(sealed, xml)
    (check,) = sealing.pdf_signatures_check(sealed, trusted=[material.certificate], moment=None)
    assert check.intact and check.valid and check.trusted and check.covers_whole_file


@pytest.mark.django_db
def test_documents_service_stores_a_sealed_factur_x(tenant, seal):
    data = worked_example()
    xml = facturx.cii_xml(data)
    document = document_create_pdf(
        actor=tenant.manager,
        template_name="billing/pdf/invoice.html",
        context=facturx.invoice_pdf_context(data),
        title=f"Facture {data.number}",
        filename=data.number,
        attachments=[facturx.facturx_attachment(xml)],
        xmp=facturx.facturx_xmp(),
        seal=True,
    )
    assert document.is_sealed
    assert_is_facturx_en16931(storage.read(document.storage_name), xml)
