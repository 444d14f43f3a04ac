"""Content safety for the service desk: every ticket body and attachment goes through here.

Bodies come from strangers (e-mails, portal forms), so HTML is reduced to a tight allowlist with nh3
and nothing in it can make the browser fetch from a foreign host (no ``img``, no ``style``, no
frames); Markdown is rendered with raw HTML escaped, then sanitised the same way. Attachments are
typed by their bytes, never by their name or declared type: executables are refused, markup that a
browser would render (HTML, SVG) is relabelled ``application/octet-stream`` so it is only downloaded.
Nothing here touches the database.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

import filetype
import nh3
from django.conf import settings
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

# --- HTML ---------------------------------------------------------------------------------------

# Formatting only. ``div`` (no attributes) keeps the lines of webmail HTML, which writes one <div> per line.
ALLOWED_TAGS = frozenset(
    "p div br b strong i em u s ul ol li blockquote pre code a h3 h4 h5 h6 table thead tbody tr th td hr span".split()
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
# Tags removed together with their content (not just unwrapped): code, styles, embedded documents, metadata.
DROPPED_CONTENT_TAGS = frozenset(
    "script style head title template noscript iframe frame frameset"
    " noframes object embed applet noembed svg math textarea select xmp".split()
)
# h1/h2 would compete with the page's own headings: they become h3 (nh3 cannot rename, so a
# textual pre-pass does it; nh3 parses the result afterwards, so the rename cannot smuggle anything).
_BIG_HEADING = re.compile(r"<(/?)\s*h[12](?=[\s/>])", re.IGNORECASE)


def sanitize_html(html: str) -> str:
    """Reduce untrusted HTML to the allowlist: text formatting, lists, tables, and http/https/mailto links.

    No images, styles, forms, frames, SVG/MathML, event handlers, comments or relative URLs survive;
    script/style contents are dropped, links get ``rel="noopener noreferrer nofollow"``.
    """
    if not html:
        return ""
    return nh3.clean(
        _BIG_HEADING.sub(r"<\1h3", html),
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_CONTENT_TAGS),
        attributes={"*": set()} | {tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},  # "*": no lang/title
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
        url_relative="deny",
    ).strip()


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    # ![alt](url) would be an <img> (a request to a foreign host): it stays literal text with a link.
    md.disable("image")
    return md


_MARKDOWN = _markdown()


def render_markdown(text: str) -> str:
    """Markdown (CommonMark, raw HTML escaped, no images) to sanitised HTML."""
    if not text or not text.strip():
        return ""
    return sanitize_html(_MARKDOWN.render(text))


_NEWLINES = re.compile(r"\r\n?")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


def text_to_html(text: str) -> str:
    """Plain text to HTML: escaped, blank lines make paragraphs, single newlines make ``<br>``."""
    text = _NEWLINES.sub("\n", text or "").strip("\n")
    if not text.strip():
        return ""
    paragraphs = [p for p in _PARAGRAPH_BREAK.split(text) if p.strip()]
    return "\n".join(
        "<p>" + "<br>\n".join(html_lib.escape(line, quote=True) for line in p.split("\n")) + "</p>" for p in paragraphs
    )


_BLOCK_TAGS = frozenset(
    "p div section article header footer blockquote pre ul ol li table tr"
    " h1 h2 h3 h4 h5 h6 hr address dl dt dd form fieldset center".split()
)
_SKIPPED_TAGS = frozenset("script style head title template noscript svg math iframe object".split())
_PARAGRAPH_TAGS = frozenset("p blockquote pre table h1 h2 h3 h4 h5 h6 ul ol dl".split())
_VOID_TAGS = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "wbr"})


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML document, with line structure kept and invisible content skipped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0
        self._pre_depth = 0
        self._pending = 0  # newlines wanted before the next text (block boundaries collapse, they do not add up)
        self._trailing = 0  # newlines at the end of what was written
        self._links: list[tuple[str | None, int]] = []  # (shown target or None, index of the link's first part)

    def _write(self, text: str) -> None:
        if not text:
            return
        if self._pending and self.parts:
            self.parts.append("\n" * max(0, self._pending - self._trailing))
        self._pending = 0
        self.parts.append(text)
        stripped = text.rstrip("\n")
        self._trailing = len(text) - len(stripped) + (self._trailing if not stripped else 0)

    def _break(self, newlines: int) -> None:
        self._pending = max(self._pending, newlines)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skip_depth += 1
            return
        if self._skip_depth:
            return
        if tag == "br":
            self._write("\n")
        elif tag in ("td", "th"):
            if not (self._pending or self._trailing or not self.parts):
                self._write("\t")
        elif tag in _BLOCK_TAGS:
            self._break(2 if tag in _PARAGRAPH_TAGS else 1)
            if tag == "li":
                self._write("- ")
            elif tag == "hr":
                self._write("----")
                self._break(1)
        if tag == "pre":
            self._pre_depth += 1
        if tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            shown = href[7:] if href.lower().startswith("mailto:") else href
            self._links.append((shown if re.match(r"(?i)(https?|mailto):", href) else None, len(self.parts)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if self._skip_depth:
            return
        if tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
        if tag == "a" and self._links:
            shown, start = self._links.pop()
            label = "".join(self.parts[start:]).strip()
            if shown and label and shown not in label:
                self._write(f" ({shown})")
        if tag in _BLOCK_TAGS:
            self._break(2 if tag in _PARAGRAPH_TAGS else 1)

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._pre_depth:
            self._write(data)
            return
        data = re.sub(r"[ \t\r\n\f]+", " ", data)
        if self._pending or self._trailing or not self.parts:
            data = data.lstrip(" ")
        self._write(data)


def html_to_text(html: str) -> str:
    """A plain-text rendition of an HTML body (for search, plain-text e-mails, and HTML-only messages)."""
    if not html:
        return ""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient, but a hostile document must never break intake
        return re.sub(r"<[^>]*>", " ", html).strip()
    text = "".join(parser.parts).replace("\xa0", " ")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.split("\n"))).strip()


# --- File names -----------------------------------------------------------------------------------

FALLBACK_FILENAME = "piece-jointe"
MAX_FILENAME_LENGTH = 150
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Characters Windows refuses in file names: replaced, so a download keeps its name everywhere.
_RESERVED_CHARS = re.compile(r'[<>:"|?*]')


def _displayable(char: str) -> bool:
    """Whitespace and printable characters; not control, format (bidi, zero-width), surrogate or unassigned ones."""
    if char.isspace():
        return True
    return char not in _BIDI_CONTROLS and unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn")


def safe_filename(name: str | None) -> str:
    """A harmless display name for an attachment (never used to store it: files live under random names).

    Directory parts (``/`` and ``\\``), control and bidi-override characters, leading dots and
    Windows-reserved characters go; whitespace is collapsed; the result is capped at 150 characters
    keeping the extension; an empty result becomes ``piece-jointe``.
    """
    if not name:
        return FALLBACK_FILENAME
    name = unicodedata.normalize("NFC", str(name))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if char.isspace() else char for char in name if _displayable(char))
    name = _RESERVED_CHARS.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip().lstrip(". ").rstrip(". ")
    if not name:
        return FALLBACK_FILENAME
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and 0 < len(extension) <= 16:
            name = stem[: MAX_FILENAME_LENGTH - len(extension) - 1].rstrip(". ") + "." + extension
        else:
            name = name[:MAX_FILENAME_LENGTH].rstrip(". ")
    return name or FALLBACK_FILENAME


def _extension_of(name: str) -> str:
    """The lower-cased extension of a (safe) file name, without the dot; "" when none."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or not re.fullmatch(r"[A-Za-z0-9_-]{1,10}", extension):
        return ""
    return extension.lower()


# --- Attachments ----------------------------------------------------------------------------------

DEFAULT_MAX_ATTACHMENT_BYTES = 15 * 1024 * 1024
#: The configured limit as read at import time; ``attachment_too_large`` reads the setting live.
MAX_ATTACHMENT_BYTES: int = int(getattr(settings, "PACTE_MAX_ATTACHMENT_BYTES", DEFAULT_MAX_ATTACHMENT_BYTES))


def max_attachment_bytes() -> int:
    """The largest accepted attachment, in bytes: ``settings.PACTE_MAX_ATTACHMENT_BYTES``, else 15 MiB."""
    return int(getattr(settings, "PACTE_MAX_ATTACHMENT_BYTES", DEFAULT_MAX_ATTACHMENT_BYTES))


def attachment_too_large(size: int) -> bool:
    """True when an attachment of ``size`` bytes exceeds the configured limit."""
    return size > max_attachment_bytes()


OCTET_STREAM = "application/octet-stream"
# Names whose only purpose is to run code on the recipient's machine: refused whatever their bytes.
REFUSED_EXTENSIONS = frozenset(
    "exe com bat cmd js jse vbs vbe ps1 psm1 psd1 scr msi"
    " msp pif cpl hta wsf wsh lnk reg dll jar app sh appref-ms".split()
)
# Types filetype recognises that are programs or installers.
_EXECUTABLE_MIMES = frozenset(
    {
        "application/x-msdownload",
        "application/x-executable",
        "application/x-deb",
        "application/x-rpm",
        "application/x-google-chrome-extension",
        "application/wasm",
    }
)
_MACHO_MAGICS = tuple(bytes.fromhex(magic) for magic in ("feedface", "feedfacf", "cefaedfe", "cffaedfe", "cafebabe"))
# Extensions of documents a browser would render as markup: kept on download, never served as text.
_MARKUP_EXTENSIONS = frozenset({"html", "htm", "xhtml", "shtml", "svg", "svgz", "xml", "xsl", "xslt", "mht", "mhtml"})
# Plain-text files keep these extensions from their name; any other text is a ".txt".
TEXT_EXTENSIONS = frozenset("txt csv tsv log md rst json yaml yml ini cfg conf eml ics vcf sql diff patch".split())
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<script", b"<body", b"<head", b"<iframe")
_SNIFF_WINDOW = 1024


@dataclass(frozen=True)
class Sniffed:
    """What an attachment really is. ``extension`` has its dot ("" when unknown); ``reason`` explains a refusal."""

    content_type: str
    extension: str
    refused: bool = False
    reason: str = ""


def _is_windows_executable(content: bytes) -> bool:
    """MZ header: a PE image when the header points at "PE\\0\\0", or a DOS program when the bytes are not text."""
    if not content.startswith(b"MZ"):
        return False
    if len(content) >= 0x40:
        offset = int.from_bytes(content[0x3C:0x40], "little")
        if content[offset : offset + 4] == b"PE\x00\x00":
            return True
    return not _looks_like_text(content)


def _looks_like_text(content: bytes) -> bool:
    """Text when the start has no NUL byte (outside UTF-16) and decodes as UTF-8, or has almost no control bytes."""
    sample = content[:8192]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            sample.decode("utf-16")
        except UnicodeDecodeError:
            return len(sample) % 2 == 1  # cut mid-character: still UTF-16 text
        return True
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
        return True
    except UnicodeDecodeError as error:
        if error.start >= len(sample) - 3 and len(content) > len(sample):
            return True  # a multi-byte character cut by the sample window
    controls = sum(1 for byte in sample if byte < 0x09 or 0x0E <= byte < 0x20 or byte == 0x7F)
    return controls <= len(sample) // 100


def _text_head(content: bytes) -> bytes:
    """The first bytes of a text, lower-cased, without BOM or leading whitespace (UTF-16 folded to ASCII)."""
    head = content[: _SNIFF_WINDOW * 2]
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            if bom != _BOMS[0]:
                head = head.replace(b"\x00", b"")
            break
    return head.lstrip(b" \t\r\n\f\x0b")[:_SNIFF_WINDOW].lower()


def _is_svg(head: bytes) -> bool:
    if head.startswith(b"<svg") or b"<svg" in head[:512]:
        return True
    return head.startswith((b"<?xml", b"<!doctype svg", b"<!--")) and b"http://www.w3.org/2000/svg" in head


def _is_html(head: bytes) -> bool:
    return head.startswith(_HTML_MARKERS) or any(marker in head for marker in _HTML_MARKERS)


def sniff_attachment(content: bytes, filename: str) -> Sniffed:
    """Type an attachment by its bytes and decide whether it is accepted.

    Programs (PE/MZ, ELF, Mach-O, ``#!`` scripts, installers, and names such as .exe/.bat/.js/.ps1/.msi)
    are refused. HTML and SVG are accepted as ``application/octet-stream`` (download only, never rendered).
    A declared type or extension is never trusted: an .exe named ``facture.pdf`` is an executable.
    """
    name_extension = _extension_of(safe_filename(filename))
    if (
        _is_windows_executable(content)
        or content.startswith(b"\x7fELF")
        or (content.startswith(_MACHO_MAGICS) and not _looks_like_text(content))
    ):
        return Sniffed(OCTET_STREAM, ".bin", refused=True, reason=_("Executable files are not accepted."))
    if content.lstrip(b"\xef\xbb\xbf").startswith(b"#!"):
        return Sniffed(OCTET_STREAM, ".bin", refused=True, reason=_("Scripts are not accepted."))
    if name_extension in REFUSED_EXTENSIONS:
        return Sniffed(OCTET_STREAM, ".bin", refused=True, reason=_("This type of file is not accepted."))
    if not content:
        return Sniffed(OCTET_STREAM, "")
    kind = filetype.guess(content)
    if kind is not None:
        if kind.mime in _EXECUTABLE_MIMES:
            return Sniffed(OCTET_STREAM, ".bin", refused=True, reason=_("Executable files are not accepted."))
        if kind.mime == OCTET_STREAM:
            return Sniffed(OCTET_STREAM, "." + kind.extension)
        return Sniffed(kind.mime, "." + kind.extension)
    if not _looks_like_text(content):
        return Sniffed(OCTET_STREAM, ".bin")
    head = _text_head(content)
    if _is_svg(head):
        return Sniffed(OCTET_STREAM, ".svg")
    if _is_html(head):
        return Sniffed(OCTET_STREAM, ".html")
    if name_extension in _MARKUP_EXTENSIONS:
        return Sniffed(OCTET_STREAM, "." + name_extension)
    return Sniffed("text/plain", "." + (name_extension if name_extension in TEXT_EXTENSIONS else "txt"))
