"""Rendering: a Django template to PDF/A-3b with an embedded file, and to Word; strict about missing data."""

import io

import docx
import pikepdf
import pytest

from pacte.audit.models import AuditEvent
from pacte.documents import rendering, storage
from pacte.documents.domain import DOCX, PDF, AttachmentRelationship, PdfAttachment
from pacte.documents.errors import DocumentRenderError
from pacte.documents.models import Document
from pacte.documents.services import document_create_docx, document_create_pdf
from pacte.documents.tests.helpers import FACTURX_XML, TEMPLATE, content_of, make_pdf, sample_context

WORD_HTML = """<html><head><title>ignored</title><style>h1 { color: red }</style></head><body>
<h1>Contrat d'assistance</h1>
<p>Entre <strong>Pacte Démo</strong> et <em>le client</em>,<br>il est convenu :</p>
<ul><li>hotline <u>illimitée</u></li><li>interventions<ol><li>sur site</li></ol></li></ul>
<table><tr><th>Prestation</th><th>Prix</th></tr><tr><td>Forfait</td><td>1&nbsp;250,00 €</td></tr></table>
<div><div>Fait à Lyon</div></div>
</body></html>"""


def test_pdf_is_pdf_a_3b_with_the_embedded_file(tenant):
    document = make_pdf(tenant.manager)
    with pikepdf.open(io.BytesIO(content_of(document))) as pdf:
        metadata = pdf.open_metadata()
        assert metadata.get("pdfaid:part") == "3"
        assert metadata.get("pdfaid:conformance") == "B"
        assert "/OutputIntents" in pdf.Root
        assert list(pdf.attachments) == ["factur-x.xml"]
        embedded = pdf.attachments["factur-x.xml"]
        assert embedded.get_file().read_bytes() == FACTURX_XML
        assert str(embedded.obj.AFRelationship) == "/Alternative"
        # The catalogue's /AF names it (WeasyPrint 70 lists the same file spec twice there).
        assert {str(spec.F) for spec in pdf.Root.AF} == {"factur-x.xml"}
        assert str(pdf.docinfo.Title) == "Contrat de maintenance"
        text = b"".join(page.Contents.read_bytes() for page in pdf.pages)
        assert text  # laid out
    assert document.content_type == PDF
    assert document.filename == "Contrat de maintenance.pdf"
    assert document.pdf_identifier and len(document.pdf_identifier) == 32


def test_each_pdf_gets_its_own_identifier_even_with_identical_content(tenant):
    first, second = make_pdf(tenant.manager), make_pdf(tenant.manager)
    assert first.pdf_identifier != second.pdf_identifier
    assert first.sha256 != second.sha256


def test_pdf_renders_in_french_by_default_and_in_english_on_request():
    html_fr = rendering.html_render(template_name="documents/pdf/base.html", context={"provider": _Provider()})
    html_en = rendering.html_render(
        template_name="documents/pdf/base.html", context={"provider": _Provider()}, language="en"
    )
    assert '<html lang="fr">' in html_fr
    assert '<html lang="en">' in html_en


class _Provider:
    name = "Pacte Démo"
    legal_name = ""


def test_plain_pdf_without_pdf_a(tenant):
    document = document_create_pdf(
        actor=tenant.manager,
        template_name=TEMPLATE,
        context=sample_context(tenant.manager),
        title="Brouillon",
        pdf_a=False,
    )
    with pikepdf.open(io.BytesIO(content_of(document))) as pdf:
        assert pdf.open_metadata().get("pdfaid:part") is None


def test_word_document_opens_back_with_python_docx(tenant):
    document = document_create_docx(
        actor=tenant.manager, template_name=TEMPLATE, context=sample_context(tenant.manager), title="Contrat (Word)"
    )
    assert document.content_type == DOCX
    assert document.filename == "Contrat (Word).docx"
    word = docx.Document(io.BytesIO(content_of(document)))
    headings = [(p.style.name, p.text) for p in word.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [("Heading 1", "Contrat de maintenance"), ("Heading 2", "Clients desservis")]
    assert word.core_properties.title == "Contrat (Word)"
    table = word.tables[0]
    assert [cell.text for cell in table.rows[0].cells] == ["Client", "Ville", "SIREN"]
    assert {row.cells[0].text for row in table.rows[1:]} == {tenant.client.name, tenant.other_client.name}


def test_word_subset_headings_runs_lists_tables():
    word = docx.Document(io.BytesIO(rendering.docx_from_html(WORD_HTML, title="Contrat", author="Pacte Démo")))
    paragraphs = [(p.style.name, p.text) for p in word.paragraphs]
    assert paragraphs == [
        ("Heading 1", "Contrat d'assistance"),
        ("Normal", "Entre Pacte Démo et le client,\nil est convenu :"),
        ("List Bullet", "hotline illimitée"),
        ("List Bullet", "interventions"),
        ("List Number 2", "sur site"),
        ("Normal", "Fait à Lyon"),
    ]
    runs = {run.text: run for run in word.paragraphs[1].runs}
    assert runs["Pacte Démo"].bold and runs["le client"].italic
    assert word.paragraphs[2].runs[-1].underline
    assert [[cell.text for cell in row.cells] for row in word.tables[0].rows] == [
        ["Prestation", "Prix"],
        ["Forfait", "1\u00a0250,00 €"],
    ]
    assert word.tables[0].rows[0].cells[0].paragraphs[0].runs[0].bold
    assert word.core_properties.author == "Pacte Démo"


def test_missing_template_variable_is_a_clear_error_and_stores_nothing(tenant):
    context = sample_context(tenant.manager)
    del context["issued_on"]
    files_before = sorted(storage.root().rglob("*")) if storage.root().exists() else []
    with pytest.raises(DocumentRenderError, match="issued_on"):
        document_create_pdf(actor=tenant.manager, template_name=TEMPLATE, context=context, title="Incomplet")
    assert not Document.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="document.").exists()
    assert (sorted(storage.root().rglob("*")) if storage.root().exists() else []) == files_before


def test_unknown_template_is_a_clear_error(tenant):
    with pytest.raises(DocumentRenderError, match="does not exist"):
        document_create_docx(actor=tenant.manager, template_name="documents/nope.html", context={}, title="x")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/logo.png", "https://example.test/x.css", "file:///etc/passwd", "ftp://x/y"]
)
def test_templates_cannot_fetch_the_network_or_arbitrary_files(url):
    with pytest.raises(ValueError):
        rendering._url_fetcher().fetch(url)


def test_templates_may_use_data_urls():
    response = rendering._url_fetcher().fetch("data:text/plain,bonjour")
    assert response is not None


def test_attachment_relationships_are_written():
    content = rendering.pdf_from_html(
        "<p>x</p>",
        identifier=b"0123456789abcdef",
        attachments=[PdfAttachment("data.json", b"{}", relationship=AttachmentRelationship.DATA)],
    )
    with pikepdf.open(io.BytesIO(content)) as pdf:
        assert str(pdf.attachments["data.json"].obj.AFRelationship) == "/Data"
