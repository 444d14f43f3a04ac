"""An invoice or a credit note as plain, frozen data: what the PDF and the Factur-X XML are made of.

The billing services build an ``InvoiceData`` from the database once, at issue; the renderers
(``pacte.billing.facturx`` for the CII XML, the ``billing/pdf/invoice.html`` template for the PDF)
read nothing else. Amounts are ``Decimal`` rounded to the cent, quantities up to 4 places, rates in
percent (``Decimal("20.00")``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

INVOICE = "380"
CREDIT_NOTE = "381"

#: UN/ECE Recommendation 20 unit codes used on lines.
UNIT_HOUR = "HUR"
UNIT_ONE = "C62"  # a unit, an intervention, a month of service
UNIT_KM = "KMT"

#: Payment means (UNTDID 4461): credit transfer; SEPA credit transfer.
PAYMENT_CREDIT_TRANSFER = "30"
PAYMENT_SEPA_CREDIT_TRANSFER = "58"


@dataclass(frozen=True)
class Party:
    """The seller or the buyer, as printed (legal identity at the issue date)."""

    name: str
    address: str
    postal_code: str
    city: str
    country: str = "FR"  # ISO 3166-1 alpha-2
    siren: str = ""  # 9 digits; the buyer's only when it has one (a consumer has none)
    siret: str = ""
    vat_number: str = ""  # intra-community VAT number, e.g. FR44732829320
    #: The electronic address (BT-34 seller, BT-49 buyer), scheme 0225: the SIREN unless the party chose another.
    einvoicing_address: str = ""
    legal_form: str = ""  # seller: SAS, SARL…
    share_capital: Decimal | None = None
    rcs_city: str = ""
    is_professional: bool = True  # buyer: False for a consumer or an association outside a trade
    email: str = ""
    #: Seller: its logo as issued, a copy in the documents store named by its SHA-256 (``snapshot.frozen_logo``);
    #: empty without a logo, and in the data of invoices issued before logos were printed.
    logo_file: str = ""
    logo_sha256: str = ""


@dataclass(frozen=True)
class Line:
    position: int
    description: str
    quantity: Decimal
    unit_code: str  # UNIT_HOUR, UNIT_ONE…
    unit_price: Decimal  # excl. VAT, up to 4 places
    amount: Decimal  # excl. VAT, rounded to the cent; negative for a service credit
    vat_rate: Decimal  # percent, e.g. Decimal("20.00")
    vat_category: str = "S"  # UNTDID 5305: S standard rate
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    note: str = ""  # e.g. the contract clause or the sheet number it comes from


@dataclass(frozen=True)
class VatBreakdown:
    """One VAT rate: the sum of its lines (basis) and the VAT on that sum (BR-CO-17)."""

    rate: Decimal
    category: str
    basis: Decimal
    amount: Decimal
    #: For a category other than S (e.g. E, franchise en base): why no VAT (BT-120), and its VATEX code (BT-121).
    exemption_reason: str = ""
    exemption_reason_code: str = ""


@dataclass(frozen=True)
class InvoiceData:
    type_code: str  # INVOICE or CREDIT_NOTE
    number: str  # ^[A-Za-z0-9+\-_/]{1,35}$
    issue_date: datetime.date
    seller: Party
    buyer: Party
    lines: tuple[Line, ...]
    vat: tuple[VatBreakdown, ...]
    total_net: Decimal  # sum of the lines (BT-106 = BT-109 without allowances)
    total_vat: Decimal  # BT-110
    total_gross: Decimal  # BT-112
    amount_due: Decimal  # BT-115 (total_gross minus prepaid amounts, none here)
    due_date: datetime.date | None = None  # BT-9
    currency: str = "EUR"
    service_start: datetime.date | None = None  # BT-73 invoicing period
    service_end: datetime.date | None = None  # BT-74
    purchase_order: str = ""  # BT-13, the buyer's order reference when it gave one
    contract_reference: str = ""  # BT-12
    #: A credit note's corrected invoice (BT-25, BT-26).
    preceding_number: str = ""
    preceding_date: datetime.date | None = None
    payment_terms: str = ""  # BT-20, human text: "30 jours date de facture"
    payment_means_code: str = PAYMENT_SEPA_CREDIT_TRANSFER
    iban: str = ""
    bic: str = ""
    payment_reference: str = ""  # BT-83, defaults to the number
    #: French invoice mentions, as notes with their UNTDID 4451 subject code (PMT, PMD, AAB; plus free notes).
    notes: tuple[tuple[str, str], ...] = ()
    #: BT-23, the French CTC billing mode ("S1": services).
    business_process: str = "S1"
    vat_on_debits: bool = False  # "Option pour le paiement de la taxe d'après les débits"
    #: The legal mentions printed on the PDF (penalties, 40 € indemnity, no discount…), already localised.
    mentions: tuple[str, ...] = field(default_factory=tuple)
    #: The agreed late-payment penalty rate, percent a year; None: the legal default (ECB rate + 10 points).
    late_penalty_rate: Decimal | None = None
    #: Where the service was performed, when it differs from the buyer's address (BG-13, ship-to).
    delivery: Party | None = None
