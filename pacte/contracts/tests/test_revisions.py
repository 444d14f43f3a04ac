"""Price revision at the service level, with real index values: the Syntec figures, the letter, the e-mail,
the errors (nothing half-saved), chaining, the old series; and the index table with its CSV import."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

import pikepdf
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from pacte.audit.models import AuditEvent
from pacte.contracts import indexes, revisions, services
from pacte.contracts.models import ContractVersion, IndexSeries, IndexValue, Revision, VersionKind, VersionStatus
from pacte.contracts.selectors import contract_terms_at
from pacte.contracts.tests import helpers
from pacte.core.errors import ConflictError
from pacte.documents import rendering
from pacte.documents import storage as document_storage
from pacte.documents.models import Document, DocumentKind
from pacte.mail.models import OutboundMessage
from pacte.tenancy.models import Contact, Membership

pytestmark = pytest.mark.django_db

D = datetime.date
Q = Decimal
FIRST_REVISION = D(2028, 1, 1)


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English (the msgids); the French ones come from the catalogue."""
    with translation.override("en"):
        yield


def clause(**overrides: Any) -> dict[str, Any]:
    return {"index_code": "SYNTEC", "reference_month": "2026-10-01", **overrides}


def billing(fee: str = "1000.00", overage: str = "85.00") -> dict[str, Any]:
    return {**helpers.terms_data()["billing_model"], "fee": fee, "overage_rate": overage}


def revisable(tenant, **clause_overrides: Any):
    """An active contract from 1 Jan 2027 (12 months, tacit), 1 000.00 € a month, revised each anniversary."""
    return helpers.active(tenant, billing_model=billing(), price_revision=clause(**clause_overrides))


def index(tenant, month: D, value: str, published_on: D, series: str = IndexSeries.CURRENT) -> IndexValue:
    return indexes.index_value_create(
        actor=tenant.manager, month=month, value=Q(value), published_on=published_on, series=series
    )


@pytest.fixture
def syntec(tenant):
    """S0 (October 2026) = 306.0 and S1 (October 2027) = 314.5, the figures of DOMAIN.md."""
    return (
        index(tenant, D(2026, 10, 1), "306.0", D(2026, 11, 20)),
        index(tenant, D(2027, 10, 1), "314.5", D(2027, 11, 25)),
    )


def counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Revision, ContractVersion, Document, OutboundMessage, AuditEvent))


# The figures of DOMAIN.md ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bounds", "fee", "coefficient", "bound"),
    [
        ({}, "1027.78", "1.027778", ""),
        ({"floor": "0", "cap": "0.02"}, "1020.00", "1.020000", "cap"),
        ({"floor": "0.05"}, "1050.00", "1.050000", "floor"),
    ],
    ids=["ratio", "cap-2%", "floor-5%"],
)
def test_syntec_figures_from_real_index_values(tenant, seal, syntec, bounds, fee, coefficient, bound):
    contract = revisable(tenant, **bounds)
    preview = revisions.revision_preview(actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION)
    assert (preview.s0_month, preview.s0, preview.s1_month, preview.s1) == (
        D(2026, 10, 1),
        Q("306.0"),
        D(2027, 10, 1),
        Q("314.5"),
    )
    assert preview.ratio == Q("1.027778")
    assert (preview.coefficient, preview.bound) == (Q(coefficient), bound)
    assert preview.prices_before == {"fee": Q("1000.00"), "overage_rate": Q("85.00")}
    assert preview.prices_after["fee"] == Q(fee)
    revision = revisions.revision_apply(
        actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION, token=preview.token
    )
    assert revision.coefficient == Q(coefficient)
    assert revision.prices_after["fee"] == fee
    assert contract_terms_at(contract, D(2027, 12, 31)).terms.billing_model.fee == Q("1000.00")
    assert contract_terms_at(contract, FIRST_REVISION).terms.billing_model.fee == Q(fee)
    assert contract_terms_at(contract, D(2028, 6, 30)).terms.billing_model.fee == Q(fee)


def test_apply_creates_a_signed_revision_version_a_sealed_letter_and_mails_it(tenant, seal, syntec):
    contract = revisable(tenant)
    before = AuditEvent.objects.count()
    revision = revisions.revision_apply(actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION)
    version = revision.version
    assert version.kind == VersionKind.REVISION and version.status == VersionStatus.SIGNED
    assert version.signed_at is not None and version.effective_from == FIRST_REVISION
    assert version.number == 2 and version.client_signature is None
    assert version.changes == {
        "billing_model.fee": ["1000.00", "1027.78"],
        "billing_model.overage_rate": ["85.00", "87.36"],
    }
    assert version.terms.price_revision == contract.versions.get(number=1).terms.price_revision
    letter = revision.letter
    assert letter.kind == DocumentKind.LETTER and letter.is_sealed and version.document == letter
    assert letter.client == contract.client and letter.content_type == "application/pdf"
    content = document_storage.read(letter.storage_name)
    with pikepdf.open(io.BytesIO(content)) as pdf:
        assert len(pdf.pages) >= 1
        assert "/AcroForm" in pdf.Root  # the PAdES seal's signature field
    (message,) = OutboundMessage.objects.filter(key=f"contract-revision:{revision.pk}")
    assert len(message.to) == 1 and tenant.client_manager.user.email in message.to[0]
    (attachment,) = message.attachments.all()
    assert attachment.sha256 == letter.sha256 and attachment.filename.endswith(".pdf")
    assert "C-2027-0001" in message.subject
    assert revisions.revision_mailed_to(revision) == message.to
    actions = list(AuditEvent.objects.filter(pk__gt=0).order_by("pk").values_list("action", flat=True))[before:]
    assert actions == ["document.create", "contract.revision"]
    event = AuditEvent.objects.get(action="contract.revision")
    assert event.after["coefficient"] == "1.027778" and event.after["sealed"] is True


def test_letter_text(tenant, seal, syntec):
    """The letter's HTML (what WeasyPrint lays out) names the clause, S0/S1 with months, the coefficient,
    the bound applied, every price before and after, and the date in force."""
    contract = revisable(tenant, floor="0", cap="0.02")
    preview = revisions.revision_preview(actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION)
    revision = Revision(contract=contract, revision_date=FIRST_REVISION)
    html = rendering.html_render(
        template_name=revisions.LETTER_TEMPLATE, context=revisions._letter_context(preview, revision)
    )
    for text in (
        "Nouveaux prix en vigueur à compter du",
        "01/01/2028",
        "P1 = P0 × S1 / S0",
        "S0 — indice de 10/2026",
        "306,0",
        "S1 — indice de 10/2027",
        "314,5 (publié le 25/11/2027)",
        "1,027778",  # the index variation
        "1,020000",  # the coefficient applied (the cap)
        "Plafond appliqué",
        "2 %",
        "1\u00a0000,00 €",
        "1\u00a0020,00 €",
        "85,00 €",
        "86,70 €",
        contract.reference,
    ):
        assert text in html, text


def test_without_a_seal_certificate_the_letter_is_stored_unsealed(tenant, seal, syntec, settings):
    contract = revisable(tenant)
    settings.PACTE_SEAL_P12 = ""
    revision = revisions.revision_apply(actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION)
    assert revision.letter is not None and not revision.letter.is_sealed


def test_an_unusable_certificate_does_not_block_the_revision(tenant, seal, syntec, settings):
    contract = revisable(tenant)
    settings.PACTE_SEAL_PASSWORD = "wrong"
    revision = revisions.revision_apply(actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION)
    assert not revision.letter.is_sealed


# Who receives the letter -------------------------------------------------------------------------


def test_without_client_manager_the_letter_goes_to_the_main_contact(tenant, seal, syntec):
    contract = revisable(tenant)
    Membership.objects.filter(pk=tenant.client_manager.pk).update(is_active=False)
    contact = Contact.objects.filter(client=tenant.client).order_by("id").first()
    revision = revisions.revision_apply(actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION)
    (message,) = OutboundMessage.objects.filter(key=f"contract-revision:{revision.pk}")
    assert contact.email in message.to[0]


def test_without_any_address_the_letter_is_stored_only(tenant, seal, syntec):
    contract = revisable(tenant)
    Membership.objects.filter(pk=tenant.client_manager.pk).update(is_active=False)
    Contact.objects.filter(client=tenant.client).update(email="")
    revision = revisions.revision_apply(actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION)
    assert revision.letter is not None
    assert revisions.revision_mailed_to(revision) == []


# Chaining, old series, mixed formula -------------------------------------------------------------


def test_the_next_revision_starts_from_the_previous_s1_and_the_price_in_force(tenant, seal, syntec):
    contract = revisable(tenant, floor="0", cap="0.02")
    revisions.revision_apply(actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION)
    index(tenant, D(2028, 10, 1), "320.8", D(2028, 11, 20))
    preview = revisions.revision_preview(actor=tenant.manager, contract=contract, revision_date=D(2029, 1, 1))
    assert (preview.s0_month, preview.s0, preview.s1_month, preview.s1) == (
        D(2027, 10, 1),
        Q("314.5"),
        D(2028, 10, 1),
        Q("320.8"),
    )
    assert preview.s0_from_revision is not None
    # 320.8 / 314.5 = 1.020032 → capped at 1.02, applied to the price in force (1 020.00 → 1 040.40)
    assert preview.bound == "cap" and preview.prices_before["fee"] == Q("1020.00")
    assert preview.prices_after["fee"] == Q("1040.40")
    assert revisions.revision_next_due(contract) == D(2029, 1, 1)


def test_old_series_reference_uses_the_linking_coefficient(tenant, seal):
    index(tenant, D(2022, 6, 1), "290.0", D(2022, 7, 20), series=IndexSeries.OLD)
    index(tenant, D(2027, 6, 1), "310.0", D(2027, 7, 20))
    contract = revisable(tenant, reference_month="2022-06-01", linking_coefficient="0.97975")
    preview = revisions.revision_preview(actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION)
    assert preview.s0_old_series and preview.s0 == Q("290.0")
    assert preview.s0_linked == Q("290.0") * Q("0.97975")
    # 310 / (290 × 0.97975) = 1.0910594…
    assert preview.coefficient == Q("1.091059")
    assert preview.prices_after["fee"] == Q("1091.06")


def test_old_series_only_without_linking_coefficient_is_refused(tenant, seal):
    index(tenant, D(2022, 6, 1), "290.0", D(2022, 7, 20), series=IndexSeries.OLD)
    index(tenant, D(2027, 6, 1), "310.0", D(2027, 7, 20))
    contract = revisable(tenant, reference_month="2022-06-01")
    with pytest.raises(ValidationError, match="old series only"):
        revisions.revision_preview(actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION)


def test_mixed_formula(tenant, seal, syntec):
    contract = revisable(tenant, formula="mixed", fixed_part="0.15")
    preview = revisions.revision_preview(actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION)
    assert preview.coefficient == Q("1.023611") and preview.prices_after["fee"] == Q("1023.61")


# Refusals: clear errors, nothing half-saved ------------------------------------------------------


def test_a_contract_without_clause_cannot_be_revised(tenant, seal, syntec):
    contract = helpers.active(tenant)
    assert revisions.revision_next_due(contract) is None
    with pytest.raises(ConflictError, match="no price revision clause"):
        revisions.revision_apply(actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION)


@pytest.mark.parametrize(
    ("revision_date", "message"),
    [
        (D(2026, 12, 1), "before the contract starts"),
        (D(2027, 6, 1), "Not due yet: the first revision is on 01/01/2028"),
        (D(2028, 2, 1), "02/2028 is not a revision date|01/02/2028 is not a revision date"),
    ],
)
def test_dates_that_are_not_due_are_refused(tenant, seal, syntec, revision_date, message):
    contract = revisable(tenant)
    before = counts()
    with pytest.raises(ValidationError, match=message):
        revisions.revision_apply(actor=tenant.manager, contract=contract, revision_date=revision_date)
    assert counts() == before


def test_s1_not_yet_published_on_the_revision_date(tenant, seal):
    index(tenant, D(2026, 10, 1), "306.0", D(2026, 11, 20))
    contract = revisable(tenant)
    with pytest.raises(ValidationError, match=r"index for 10/2027 is not yet published"):
        revisions.revision_preview(actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION)
    index(tenant, D(2027, 10, 1), "314.5", D(2028, 1, 15))  # published after the revision date
    before = counts()
    with pytest.raises(ValidationError, match=r"10/2027 is not yet published \(S1\)\. It was published on 15/01/2028"):
        revisions.revision_apply(actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION)
    assert counts() == before


def test_missing_s0_is_refused(tenant, seal):
    index(tenant, D(2027, 10, 1), "314.5", D(2027, 11, 25))
    contract = revisable(tenant)
    with pytest.raises(ValidationError, match=r"10/2026 \(S0, the reference month\) is not in the index table"):
        revisions.revision_preview(actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION)


def test_applying_twice_is_refused_and_changes_nothing(tenant, seal, syntec):
    contract = revisable(tenant)
    revisions.revision_apply(actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION)
    before = counts()
    with pytest.raises(ConflictError, match="already revised on 01/01/2028"):
        revisions.revision_apply(actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION)
    assert counts() == before
    assert Revision.objects.filter(contract=contract).count() == 1


def test_a_pending_amendment_blocks_the_revision(tenant, seal, syntec):
    contract = revisable(tenant)
    services.amendment_create(actor=tenant.manager, contract=contract, effective_from=D(2027, 7, 1), reason="Site")
    before = counts()
    with pytest.raises(ConflictError, match="amendment is being prepared"):
        revisions.revision_apply(actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION)
    assert counts() == before


def test_a_changed_preview_is_not_applied(tenant, seal, syntec):
    contract = revisable(tenant)
    preview = revisions.revision_preview(actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION)
    indexes.index_value_update(
        actor=tenant.manager,
        index_value=syntec[1],
        month=D(2027, 10, 1),
        value=Q("315.0"),
        published_on=D(2027, 11, 25),
        series=IndexSeries.CURRENT,
        index_code="SYNTEC",
    )
    before = counts()
    with pytest.raises(ConflictError, match="figures changed"):
        revisions.revision_apply(
            actor=tenant.manager, contract=contract, revision_date=FIRST_REVISION, token=preview.token
        )
    assert counts() == before


def test_only_the_providers_managers_revise(tenant, other_tenant, seal, syntec):
    contract = revisable(tenant)
    for actor in (tenant.technician, tenant.client_manager):
        with pytest.raises(PermissionDenied):
            revisions.revision_apply(actor=actor, contract=contract, revision_date=FIRST_REVISION)
    with pytest.raises(PermissionDenied):
        revisions.revision_preview(actor=other_tenant.manager, contract=contract, revision_date=FIRST_REVISION)
    assert not Revision.objects.exists()


# The index table ---------------------------------------------------------------------------------


def test_index_value_rules(tenant):
    row = index(tenant, D(2026, 10, 15), "306,0".replace(",", "."), D(2026, 11, 20))
    assert row.month == D(2026, 10, 1) and row.index_code == "SYNTEC"
    with pytest.raises(ValidationError) as error:
        index(tenant, D(2026, 10, 1), "307.0", D(2026, 11, 20))
    assert "month" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        index(tenant, D(2026, 11, 1), "-1", D(2026, 10, 20))
    assert set(error.value.message_dict) == {"value", "published_on"}
    with pytest.raises(PermissionDenied):
        indexes.index_value_create(
            actor=tenant.technician, month=D(2026, 9, 1), value=Q(1), published_on=D(2026, 10, 1)
        )


def test_a_value_used_by_a_revision_cannot_change_or_be_deleted(tenant, seal, syntec):
    s0, s1 = syntec
    spare = index(tenant, D(2027, 1, 1), "308.0", D(2027, 2, 20))
    revisions.revision_apply(actor=tenant.manager, contract=revisable(tenant), revision_date=FIRST_REVISION)
    with pytest.raises(ConflictError):
        indexes.index_value_delete(actor=tenant.manager, index_value=s0)
    with pytest.raises(ConflictError):
        indexes.index_value_update(
            actor=tenant.manager,
            index_value=s1,
            month=s1.month,
            value=Q("1"),
            published_on=s1.published_on,
            series=s1.series,
            index_code="SYNTEC",
        )
    indexes.index_value_update(  # the publication date may still be corrected
        actor=tenant.manager,
        index_value=s1,
        month=s1.month,
        value=s1.value,
        published_on=D(2027, 11, 24),
        series=s1.series,
        index_code="SYNTEC",
    )
    indexes.index_value_delete(actor=tenant.manager, index_value=spare)
    assert not IndexValue.objects.filter(pk=spare.pk).exists()
    assert AuditEvent.objects.filter(action="index_value.delete").count() == 1


CSV = """mois;valeur;publié le;série
10/2026;306,0;20/11/2026;
novembre 2026;306,9;2026-12-18;actuelle
2022-06;290.0;20/07/2022;ancienne
"""


def test_csv_import_preview_then_import_then_idempotent(tenant):
    preview = indexes.index_import_preview(actor=tenant.manager, content=CSV.encode())
    assert not preview.has_errors
    assert [(row.line, row.action) for row in preview.rows] == [(2, "create"), (3, "create"), (4, "create")]
    assert not IndexValue.objects.exists()  # a preview writes nothing
    indexes.index_import(actor=tenant.manager, content=CSV.encode())
    assert sorted(IndexValue.objects.values_list("month", "series", "value", "published_on")) == [
        (D(2022, 6, 1), "old", Q("290.0000"), D(2022, 7, 20)),
        (D(2026, 10, 1), "current", Q("306.0000"), D(2026, 11, 20)),
        (D(2026, 11, 1), "current", Q("306.9000"), D(2026, 12, 18)),
    ]
    assert AuditEvent.objects.filter(action="index_value.create").count() == 3
    again = indexes.index_import(actor=tenant.manager, content=CSV.encode())
    assert again.counts == {"create": 0, "update": 0, "unchanged": 3, "error": 0}
    assert AuditEvent.objects.filter(action__startswith="index_value.").count() == 3
    changed = CSV.replace("306,9", "307,1")
    preview = indexes.index_import_preview(actor=tenant.manager, content=changed.encode("cp1252"))
    assert [row.action for row in preview.rows] == ["unchanged", "update", "unchanged"]
    indexes.index_import(actor=tenant.manager, content=changed.encode())
    assert IndexValue.objects.get(month=D(2026, 11, 1)).value == Q("307.1")


def test_csv_without_header_in_iso_with_points(tenant):
    content = b"2026-10-01;306.0;2026-11-20\r\n\r\n2026-11;306.9;18.12.2026\r\n"
    result = indexes.index_import(actor=tenant.manager, content=content, index_code="syntec")
    assert result.counts["create"] == 2 and result.index_code == "SYNTEC"


def test_csv_row_errors_are_reported_and_nothing_is_imported(tenant):
    content = "\n".join(
        [
            "month;value;published_on;series",
            "10/2026;306,0;20/11/2026",
            "13/2026;306,0;20/11/2026",  # no 13th month
            "11/2026;abc;20/12/2026",
            "12/2026;307;15/11/2026",  # published before its month
            "10/2026;306,5;20/11/2026",  # the same month twice
            "01/2027;308;20/02/2027;bientôt",
            "02/2027",
        ]
    ).encode()
    preview = indexes.index_import_preview(actor=tenant.manager, content=content)
    errors = {row.line: [column for column, _message in row.errors] for row in preview.rows if row.errors}
    assert errors == {3: ["month"], 4: ["value"], 5: ["published_on"], 6: ["month"], 7: ["series"], 8: [""]}
    with pytest.raises(ValidationError) as error:
        indexes.index_import(actor=tenant.manager, content=content)
    assert any("Line 4" in message for message in error.value.message_dict["file"])
    assert not IndexValue.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"mois;valeur\n10/2026;306\n", "lacks the columns"),
        (b"\x00\x01\x02", "not a text"),
        (b"x" * (indexes.MAX_IMPORT_BYTES + 1), "too large"),
    ],
)
def test_csv_file_errors(tenant, content, message):
    preview = indexes.index_import_preview(actor=tenant.manager, content=content)
    assert preview.has_errors and message in " ".join(preview.file_errors)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10/2026", D(2026, 10, 1)),
        ("1/2027", D(2027, 1, 1)),
        ("2026-10", D(2026, 10, 1)),
        ("01/10/2026", D(2026, 10, 1)),
        ("2026-10-01", D(2026, 10, 1)),
        ("Octobre 2026", D(2026, 10, 1)),
        ("févr. 2027", D(2027, 2, 1)),
        ("août 2026", D(2026, 8, 1)),
        ("15/10/2026", None),
        ("2026", None),
        ("foo 2026", None),
    ],
)
def test_parse_month(text, expected):
    assert indexes.parse_month(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("306,5", Q("306.5")), ("306.5", Q("306.5")), ("1 234,5", Q("1234.5")), ("1.234,5", Q("1234.5")), ("x", None)],
)
def test_parse_decimal(text, expected):
    assert indexes.parse_decimal(text) == expected
