"""Django template → HTML → PDF (WeasyPrint, PDF/A-3b with embedded files) or Word (.docx, python-docx).

Document templates render in a strict engine: ``{{ value }}`` naming something the data does not
provide raises ``DocumentRenderError`` instead of printing nothing (a legal document must never lose
a field silently). ``{% if %}`` and ``{% for %}`` still treat a missing value as false / empty; pass
optional values explicitly (``None``, ``""``).

WeasyPrint only reads local files (the static directory, provider logos) and ``data:`` URLs: a
template can never make the server fetch a URL.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.template.backends.django import DjangoTemplates
from django.utils import translation

from pacte.documents.domain import PdfAttachment
from pacte.documents.errors import DocumentRenderError

PDF_A_VARIANT = "pdf/a-3b"


class _MissingVariable(str):
    """``string_if_invalid`` that raises: Django formats it with the variable's name when it contains ``%s``."""

    __slots__ = ()

    def __contains__(self, item: object) -> bool:
        return item == "%s"

    def __mod__(self, name: object) -> str:
        raise DocumentRenderError(f"The document template uses “{name}”, which the data does not provide.")


@functools.cache
def _engine() -> Engine:
    """The project's template directories and apps, with missing variables as errors."""
    backend = DjangoTemplates(
        {
            "NAME": "documents",
            "DIRS": list(cast(list[Any], settings.TEMPLATES[0]["DIRS"])),
            "APP_DIRS": True,
            "OPTIONS": {"string_if_invalid": _MissingVariable("%s")},
        }
    )
    return backend.engine


def html_render(*, template_name: str, context: Mapping[str, Any], language: str = "fr") -> str:
    """The template rendered in ``language`` (French by default: documents follow the client, not the user)."""
    try:
        template = _engine().get_template(template_name)
        with translation.override(language):
            return template.render(Context(dict(context), autoescape=True))
    except TemplateDoesNotExist as error:
        raise DocumentRenderError(f"The document template “{template_name}” does not exist.") from error
    except TemplateSyntaxError as error:
        raise DocumentRenderError(f"The document template “{template_name}” is invalid: {error}") from error
    except DocumentRenderError as error:
        raise DocumentRenderError(f"{template_name}: {error}") from error


# PDF ----------------------------------------------------------------------------------------------


def _allowed_roots() -> list[Path]:
    roots = [Path(directory) for directory in settings.STATICFILES_DIRS]
    roots.append(Path(settings.MEDIA_ROOT) / "logos")
    return [root.resolve() for root in roots]


def _url_fetcher() -> Any:
    from weasyprint.urls import URLFetcher

    class LocalFilesOnly(URLFetcher):
        """``data:`` URLs and files under the static directories; never the network."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols={"data", "file"}, timeout=5)

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.lower().startswith("file:"):
                path = Path(unquote(urlsplit(url).path)).resolve()
                if not any(root in path.parents for root in _allowed_roots()):
                    raise ValueError(f"Document resources must be static files: {url}")
            return super().fetch(url, headers)

    return LocalFilesOnly()


def pdf_from_html(
    html: str,
    *,
    identifier: bytes,
    attachments: Sequence[PdfAttachment] = (),
    pdf_a: bool = True,
    xmp: bytes | None = None,
) -> bytes:
    """Lay out ``html`` as a PDF (PDF/A-3b unless ``pdf_a`` is false), embedding ``attachments``.

    ``identifier`` becomes the PDF's file identifier (``/ID``): give each document a fresh random one.
    ``xmp`` is an ``<rdf:RDF>`` element whose descriptions join the PDF/A's XMP metadata (e.g. Factur-X's
    ``fx:`` properties and their PDF/A extension schema: ``billing.facturx.facturx_xmp``).
    """
    from weasyprint import HTML, Attachment

    static_root = Path(settings.STATICFILES_DIRS[0])
    document = HTML(string=html, base_url=static_root.as_uri() + "/", url_fetcher=_url_fetcher())
    embedded = [
        Attachment(
            file_obj=io.BytesIO(attachment.content),
            name=attachment.name,
            description=attachment.description or attachment.name,
            relationship=str(attachment.relationship),
        )
        for attachment in attachments
    ]
    options: dict[str, Any] = {"pdf_identifier": identifier, "attachments": embedded}
    if pdf_a:
        options["pdf_variant"] = PDF_A_VARIANT
    if xmp:
        options["finisher"] = _xmp_merger(xmp)
    content = document.write_pdf(**options)
    assert isinstance(content, bytes)
    return content


_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def _xmp_merger(xmp: bytes) -> Any:
    """A WeasyPrint finisher that moves the descriptions of ``xmp`` (an ``<rdf:RDF>``) into the PDF's XMP.

    They join WeasyPrint's own ``rdf:RDF`` (its ``xmp_metadata`` option would add a second one, which
    readers such as pikepdf or PDFBox ignore or reject: ``x:xmpmeta`` holds a single ``rdf:RDF``).
    """
    from lxml import etree

    extra = etree.fromstring(xmp, etree.XMLParser(resolve_entities=False, no_network=True))

    def finish(document: Any, pdf: Any) -> None:
        reference = pdf.catalog["Metadata"] if "Metadata" in pdf.catalog else None
        stream = next(
            (item for item in pdf.objects if reference and getattr(item, "reference", None) == reference), None
        )
        if stream is None:
            raise DocumentRenderError("XMP metadata can only be added to a PDF/A document.")
        packet = b"".join(part if isinstance(part, bytes) else str(part).encode() for part in stream.stream)
        start, end = packet.index(b"<x:xmpmeta"), packet.index(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")
        meta = etree.fromstring(packet[start:end])
        target = meta.find(f"{{{_RDF}}}RDF")
        for description in list(extra):
            target.append(description)
        stream.stream = [packet[:start] + etree.tostring(meta, encoding="utf-8", xml_declaration=False) + packet[end:]]

    return finish


# Word ---------------------------------------------------------------------------------------------


@dataclass
class _Run:
    text: str
    bold: bool = False
    italic: bool = False
    underline: bool = False


@dataclass
class _Cell:
    paragraphs: list[list[_Run]] = field(default_factory=lambda: [[]])
    header: bool = False


_SPACE = re.compile(r"[ \t\n\r\f]+")  # HTML white space (a no-break space stays)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 4, "h6": 4}
_PARAGRAPHS = {"p", "div", "address", "blockquote", "section", "article", "header", "footer", "dd", "dt"}
_SKIPPED = {"head", "style", "script", "title", "template"}


class _DocxBuilder(HTMLParser):
    """The HTML subset document templates use → python-docx: headings, paragraphs, bold/italic/underline,
    line breaks, bulleted and numbered lists (nested), tables. Anything else keeps its text."""

    def __init__(self, document: Any) -> None:
        super().__init__(convert_charrefs=True)
        self.document = document
        self.paragraph: Any = None
        self.skipping = 0
        self.bold = self.italic = self.underline = 0
        self.lists: list[str] = []
        self.table: list[list[_Cell]] | None = None
        self.cell: _Cell | None = None

    # Where text goes ----------------------------------------------------------------------------

    def _new_paragraph(self, style: str | None = None) -> None:
        if self.cell is not None:
            if self.cell.paragraphs[-1]:
                self.cell.paragraphs.append([])
            return
        if self.paragraph is not None and not self.paragraph.runs:  # nested blocks: one paragraph
            if style:
                self.paragraph.style = style
            return
        self.paragraph = self.document.add_paragraph(style=style)

    def _add_text(self, text: str, *, line_break: bool = False) -> None:
        if self.cell is not None:
            runs = self.cell.paragraphs[-1]
            if not runs and not text.strip() and not line_break:
                return
            runs.append(_Run(text, bool(self.bold) or self.cell.header, bool(self.italic), bool(self.underline)))
            return
        if self.table is not None:  # text between cells
            return
        if self.paragraph is None:
            if not text.strip():
                return
            self._new_paragraph()
        if not self.paragraph.runs:
            text = text.lstrip()
        run = self.paragraph.add_run(text)
        run.bold, run.italic = bool(self.bold) or None, bool(self.italic) or None
        run.underline = bool(self.underline) or None
        if line_break:
            run.add_break()

    # Parser events -------------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _HEADINGS:
            self._new_paragraph(f"Heading {_HEADINGS[tag]}")
        elif tag in _PARAGRAPHS:
            self._new_paragraph()
        elif tag in ("ul", "ol"):
            self.lists.append(tag)
        elif tag == "li":
            kind = "List Number" if self.lists and self.lists[-1] == "ol" else "List Bullet"
            depth = min(len(self.lists), 3)
            self._new_paragraph(kind if depth <= 1 else f"{kind} {depth}")
        elif tag in ("strong", "b"):
            self.bold += 1
        elif tag in ("em", "i"):
            self.italic += 1
        elif tag == "u":
            self.underline += 1
        elif tag == "br":
            self._add_text("", line_break=True)
        elif tag == "table" and self.table is None:
            self.table, self.paragraph = [], None
        elif tag == "tr" and self.table is not None:
            self.table.append([])
        elif tag in ("td", "th") and self.table is not None:
            if not self.table:
                self.table.append([])
            self.cell = _Cell(header=tag == "th")
            self.table[-1].append(self.cell)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _HEADINGS or tag in _PARAGRAPHS or tag == "li":
            if self.cell is None:
                self.paragraph = None
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        elif tag in ("strong", "b"):
            self.bold = max(0, self.bold - 1)
        elif tag in ("em", "i"):
            self.italic = max(0, self.italic - 1)
        elif tag == "u":
            self.underline = max(0, self.underline - 1)
        elif tag in ("td", "th"):
            self.cell = None
        elif tag == "table" and self.table is not None:
            self._write_table(self.table)
            self.table, self.cell, self.paragraph = None, None, None

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self._add_text(_SPACE.sub(" ", data))

    def _write_table(self, rows: list[list[_Cell]]) -> None:
        rows = [row for row in rows if row]
        if not rows:
            return
        columns = max(len(row) for row in rows)
        table = self.document.add_table(rows=len(rows), cols=columns)
        table.style = "Table Grid"
        for row_index, row in enumerate(rows):
            for column, cell in enumerate(row):
                target = table.cell(row_index, column)
                for number, runs in enumerate(paragraph for paragraph in cell.paragraphs if paragraph):
                    paragraph = target.paragraphs[0] if number == 0 else target.add_paragraph()
                    for index, piece in enumerate(runs):
                        text = piece.text.lstrip() if index == 0 else piece.text
                        run = paragraph.add_run(text)
                        run.bold, run.italic = piece.bold or None, piece.italic or None
                        run.underline = piece.underline or None


def docx_from_html(html: str, *, title: str = "", author: str = "") -> bytes:
    """A Word document with the content of ``html`` (see ``_DocxBuilder`` for the subset understood)."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.author = author
    builder = _DocxBuilder(document)
    builder.feed(html)
    builder.close()
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()
