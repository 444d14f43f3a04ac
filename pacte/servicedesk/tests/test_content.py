"""Content safety: HTML sanitising, Markdown, text/HTML conversions, file names and attachment sniffing."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from django.utils import translation

from pacte.servicedesk.content import (
    DEFAULT_MAX_ATTACHMENT_BYTES,
    OCTET_STREAM,
    attachment_too_large,
    html_to_text,
    max_attachment_bytes,
    render_markdown,
    safe_filename,
    sanitize_html,
    sniff_attachment,
    text_to_html,
)
from tests.mailcorpus import HOSTILE_HTML, fake_exe, hostile_svg, tiny_pdf, tiny_png

# Anything here in sanitised output means markup that runs code, loads a foreign resource, or restyles the page.
FORBIDDEN = re.compile(
    r"<\s*(script|style|img|iframe|frame|object|embed|svg|math|form|input|button|link|meta|base|video|audio"
    r"|source|textarea|select)\b|\bon[a-z]+\s*=|=\s*[\"']?\s*(javascript|vbscript|data):|\b(style|src|target)\s*=",
    re.IGNORECASE,
)

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="https://evil.example/track.png">',
    "<svg onload=alert(1)><script>alert(2)</script></svg>",
    "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="https://ok.example" onclick="alert(1)" target="_blank">x</a>',
    '<p style="background:url(https://evil.example/x)">x</p>',
    "<style>@import url(https://evil.example/x.css);</style>",
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<iframe src="https://evil.example"></iframe>',
    '<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/x.swf">',
    '<form action="https://evil.example"><input name=p><button>ok</button></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    '<video poster="https://evil.example/p.png"><source src="https://evil.example/v.mp4"></video>',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<div><table background="https://evil.example/bg.png"><tr><td background="x">x</td></tr></table></div>',
    "<!--[if gte mso 9]><img src=https://evil.example/x.png><![endif]-->",
    '<p title="</p><script>alert(1)</script>">x</p>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<a href="/relative/path">rel</a>',
    HOSTILE_HTML,
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_sanitize_html_leaves_nothing_active(payload: str) -> None:
    cleaned = sanitize_html(payload)
    assert not FORBIDDEN.search(cleaned), cleaned
    assert sanitize_html(cleaned) == cleaned  # stable: a second pass finds nothing more to remove


@pytest.fixture(autouse=True)
def _english():
    """The reasons are compared with their English source text."""
    with translation.override("en"):
        yield


def test_sanitize_html_keeps_formatting_and_safe_links() -> None:
    cleaned = sanitize_html(
        "<h1>Titre</h1><h4>Sous-titre</h4><p>Du <b>gras</b>, de l'<i>italique</i>, <u>souligné</u>, <s>barré</s>.</p>"
        "<ul><li>un</li></ul><ol><li>deux</li></ol><blockquote>cité</blockquote><pre><code>x = 1</code></pre>"
        '<table><thead><tr><th colspan="2">A</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>'
        '<hr><p><a href="https://docs.example/a?b=1" target="_blank" title="t">doc</a> '
        '<a href="mailto:support@provider.example">écrire</a> <span class="x">s</span></p>'
    )
    for kept in (
        "<h3>Titre</h3>",
        "<h4>Sous-titre</h4>",
        "<b>gras</b>",
        "<i>italique</i>",
        "<u>souligné</u>",
        "<s>barré</s>",
        "<ul><li>un</li></ul>",
        "<ol><li>deux</li></ol>",
        "<blockquote>cité</blockquote>",
        "<pre><code>x = 1</code></pre>",
        '<th colspan="2">A</th>',
        "<td>1</td>",
        "<hr>",
        "<span>s</span>",
    ):
        assert kept in cleaned, (kept, cleaned)
    assert '<a href="https://docs.example/a?b=1" rel="noopener noreferrer nofollow">doc</a>' in cleaned
    assert '<a href="mailto:support@provider.example" rel="noopener noreferrer nofollow">écrire</a>' in cleaned
    assert "title=" not in cleaned and "class=" not in cleaned and "<h1" not in cleaned


def test_the_forbidden_pattern_itself_catches_active_markup() -> None:
    for active in ('<a href="javascript:x">', "<img src=x>", '<p onclick="x">', '<p style="x">', "<svg>"):
        assert FORBIDDEN.search(active), active


def test_sanitize_html_keeps_webmail_lines() -> None:
    html = '<div dir="ltr" class="gmail_default"><div>Bonjour,</div><div><br></div><div>Ligne 2</div></div>'
    assert sanitize_html(html) == "<div><div>Bonjour,</div><div><br></div><div>Ligne 2</div></div>"


def test_sanitize_html_drops_script_and_style_content_and_comments() -> None:
    cleaned = sanitize_html("<p>a</p><script>var secret = 1;</script><style>p{color:red}</style><!-- note -->b")
    assert cleaned == "<p>a</p>b"
    assert sanitize_html("") == ""


def test_render_markdown_escapes_html_and_never_makes_images() -> None:
    html = render_markdown(
        "# Titre\n\n*em* **fort** `code`\n\n- un\n- deux\n\n"
        "<script>alert(1)</script> <b>brut</b>\n\n"
        "[doc](https://docs.example) [mal](javascript:alert(1)) ![photo](https://evil.example/x.png)"
    )
    assert "<h3>Titre</h3>" in html
    assert "<em>em</em>" in html and "<strong>fort</strong>" in html and "<code>code</code>" in html
    assert "<li>un</li>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;brut&lt;/b&gt;" in html
    assert '<a href="https://docs.example" rel="noopener noreferrer nofollow">doc</a>' in html
    assert "<img" not in html and 'href="javascript' not in html
    assert not FORBIDDEN.search(html)
    assert render_markdown("   ") == ""


def test_render_markdown_does_not_linkify_bare_urls() -> None:
    assert "<a" not in render_markdown("voir https://docs.example/page")


def test_text_to_html_escapes_and_keeps_lines() -> None:
    html = text_to_html("Bonjour <b>&\r\nligne 2\n\n\n<script>x</script>")
    assert html == "<p>Bonjour &lt;b&gt;&amp;<br>\nligne 2</p>\n<p>&lt;script&gt;x&lt;/script&gt;</p>"
    assert text_to_html("  \n ") == ""


def test_html_to_text_keeps_structure_and_drops_invisible_content() -> None:
    text = html_to_text(
        "<html><head><title>T</title><style>p{}</style></head><body>"
        "<p>Bonjour&nbsp;<b>Jean</b>,</p><p>voir <a href='https://docs.example/a'>la doc</a>"
        " ou <a href='https://docs.example/b'>https://docs.example/b</a></p>"
        "<ul><li>un</li><li>deux</li></ul><script>alert(1)</script>Fin<br>ligne"
        "<pre>  indenté\n    code</pre></body></html>"
    )
    assert text == (
        "Bonjour Jean,\n\nvoir la doc (https://docs.example/a) ou https://docs.example/b\n\n"
        "- un\n- deux\n\nFin\nligne\n\n  indenté\n    code"
    )
    assert "alert" not in html_to_text(HOSTILE_HTML) and "Titre caché" not in html_to_text(HOSTILE_HTML)
    assert html_to_text("") == ""
    assert html_to_text("<p>&lt;script&gt; &eacute;t&eacute;</p>") == "<script> été"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rapport.pdf", "rapport.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\system.ini", "system.ini"),
        ("C:\\Users\\jean\\Bureau\\devis final.xlsx", "devis final.xlsx"),
        ("facture\u202efdp.exe", "facturefdp.exe"),
        ("a\u2066b\u2069c.txt", "abc.txt"),
        ("  .bashrc ", "bashrc"),
        ("...", "piece-jointe"),
        ("", "piece-jointe"),
        (None, "piece-jointe"),
        ("/", "piece-jointe"),
        ("ligne\x00nulle\r\n  et\ttab.txt", "lignenulle et tab.txt"),
        ('re: "devis" <v2>?.pdf', "re_ _devis_ _v2__.pdf"),
        ("café crème.doc", "café crème.doc"),
    ],
)
def test_safe_filename(name: str | None, expected: str) -> None:
    assert safe_filename(name) == expected


def test_safe_filename_caps_length_and_keeps_extension() -> None:
    name = safe_filename("é" * 400 + ".pdf")
    assert len(name) == 150 and name.endswith(".pdf")
    assert len(safe_filename("x" * 400)) == 150


def _sniff(content: bytes, filename: str) -> tuple[str, str, bool]:
    sniffed = sniff_attachment(content, filename)
    return sniffed.content_type, sniffed.extension, sniffed.refused


def test_sniff_recognises_documents_by_their_bytes() -> None:
    assert _sniff(tiny_pdf(), "devis.pdf") == ("application/pdf", ".pdf", False)
    assert _sniff(tiny_png(), "capture.png") == ("image/png", ".png", False)
    assert _sniff(tiny_png(), "capture.pdf") == ("image/png", ".png", False)  # the bytes win over the name


def test_sniff_never_calls_a_non_pdf_a_pdf() -> None:
    assert _sniff(b"Just some text pretending.\n", "facture.pdf")[0] == "text/plain"
    assert _sniff(b"\x00\x01\x02garbage" * 20, "facture.pdf") == (OCTET_STREAM, ".bin", False)
    assert _sniff(b"junk before %PDF-1.4\n", "facture.pdf")[0] != "application/pdf"


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (fake_exe(), "facture.pdf"),  # an .exe renamed .pdf
        (fake_exe(), "photo.jpg"),
        (b"\x7fELF\x02\x01\x01" + bytes(100), "rapport.pdf"),
        (bytes.fromhex("cffaedfe") + bytes(100), "document.docx"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(40), "old.doc"),  # DOS program, no PE
    ],
)
def test_sniff_refuses_executables_whatever_their_name(content: bytes, filename: str) -> None:
    sniffed = sniff_attachment(content, filename)
    assert sniffed.refused
    assert sniffed.content_type == OCTET_STREAM and sniffed.content_type != "application/pdf"
    assert sniffed.reason == "Executable files are not accepted."


def test_sniff_refuses_scripts_and_dangerous_names() -> None:
    script = sniff_attachment(b"#!/bin/sh\nrm -rf ~\n", "nettoyage.txt")
    assert script.refused and script.reason == "Scripts are not accepted."
    for name in ("run.bat", "RUN.CMD", "x.js", "x.vbs", "x.ps1", "x.scr", "setup.msi", "a.pdf.exe", "x.exe  "):
        sniffed = sniff_attachment(b"echo hello\r\n", name)
        assert sniffed.refused, name
        assert sniffed.reason == "This type of file is not accepted."


def test_sniff_makes_markup_download_only() -> None:
    assert _sniff(hostile_svg(), "logo.svg") == (OCTET_STREAM, ".svg", False)
    assert _sniff(b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image.png") == (OCTET_STREAM, ".svg", False)
    assert _sniff(b"<?xml version='1.0'?>\n<!-- c -->\n<x:svg xmlns:x='http://www.w3.org/2000/svg'/>", "a.xml") == (
        OCTET_STREAM,
        ".svg",
        False,
    )
    for html in (
        b"<!DOCTYPE html><p>x",
        b"\xef\xbb\xbf  \n<HTML><body>x",
        b"\r\n\t<script>alert(1)</script>",
        b"<BODY onload=alert(1)>",
        "\ufeff<html>é".encode("utf-16"),
    ):
        assert _sniff(html, "notes.txt") == (OCTET_STREAM, ".html", False), html
    assert _sniff(b"<p>fragment</p>", "page.htm") == (OCTET_STREAM, ".htm", False)


def test_sniff_plain_text_and_unknown_binaries() -> None:
    assert _sniff("date;montant\n2026-03-02;12,50 €\n".encode(), "export.csv") == ("text/plain", ".csv", False)
    assert _sniff("Café renversé\n".encode("latin-1"), "note") == ("text/plain", ".txt", False)
    assert _sniff(b"plain text", "weird.pdf") == ("text/plain", ".txt", False)
    assert _sniff(bytes(range(256)) * 4, "dump.dat") == (OCTET_STREAM, ".bin", False)
    assert _sniff(b"", "vide.txt") == (OCTET_STREAM, "", False)


def test_attachment_size_limit_follows_the_setting() -> None:
    assert DEFAULT_MAX_ATTACHMENT_BYTES == 15 * 1024 * 1024
    with override_settings(PACTE_MAX_ATTACHMENT_BYTES=1000):
        assert max_attachment_bytes() == 1000
        assert not attachment_too_large(1000)
        assert attachment_too_large(1001)
    with override_settings():
        from django.conf import settings

        del settings.PACTE_MAX_ATTACHMENT_BYTES
        assert max_attachment_bytes() == DEFAULT_MAX_ATTACHMENT_BYTES
        assert attachment_too_large(DEFAULT_MAX_ATTACHMENT_BYTES + 1)
        assert not attachment_too_large(DEFAULT_MAX_ATTACHMENT_BYTES)
