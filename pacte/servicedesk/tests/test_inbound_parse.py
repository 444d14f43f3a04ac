"""Parsing raw e-mails: every corpus message parses, hostile content is neutralised, loops are detected."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacte.servicedesk.content import ALLOWED_TAGS, OCTET_STREAM, sniff_attachment
from pacte.servicedesk.inbound.parse import (
    ParsedMail,
    decode_rfc2047,
    parse_message,
    strip_quoted_reply,
    ticket_reference_in,
)
from tests import mailcorpus as corpus

_TAG = re.compile(r"<(/?)([a-zA-Z0-9]+)((?:\s+[a-z-]+=\"[^\"]*\")*)\s*/?>")
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')


def assert_inert(html: str) -> None:
    """Every tag in ``html`` is on the allowlist, with allowed attributes only, and links are http(s)/mailto."""
    for _closing, tag, attributes in _TAG.findall(html):
        assert tag in ALLOWED_TAGS, (tag, html)
        for name, value in _ATTRIBUTE.findall(attributes):
            assert name in ("href", "rel", "colspan", "rowspan"), (name, html)
            if name == "href":
                assert re.match(r"(https?://|mailto:)", value), (value, html)
    assert html.count("<") == len(_TAG.findall(html)), html  # no markup outside the recognised tags


def _simple(headers: str, body: str = "Bonjour.\n") -> bytes:
    base = "From: Jean Dupont <jean.dupont@client.example>\nTo: support@provider.example\nSubject: Test\n"
    lines = {line.split(":", 1)[0].lower(): line for line in base.splitlines()}
    for line in headers.strip().splitlines():
        lines[line.split(":", 1)[0].lower()] = line
    return ("\r\n".join(lines.values()) + "\r\n\r\n" + body).encode("utf-8")


# --- The whole corpus ---------------------------------------------------------------------------------------


def test_a_batch_of_fifty_parses_with_distinct_keys_and_exact_loop_detection() -> None:
    batch = corpus.corpus_batch(50, "provider.example", ["a@client.example", "b@client.example"])
    parsed = [parse_message(raw) for raw in batch]
    assert len({mail.dedupe_key for mail in parsed}) == 50
    assert {corpus.corpus_kind(raw) for raw in batch} == set(corpus.BATCH_KINDS)
    for raw, mail in zip(batch, parsed, strict=True):
        assert isinstance(mail, ParsedMail)
        assert mail.automatic == corpus.is_automatic(raw), (corpus.corpus_kind(raw), mail.automatic_reason)
        assert bool(mail.automatic_reason) == mail.automatic
        assert mail.text.strip(), corpus.corpus_kind(raw)
        assert_inert(mail.html)
        assert "\x00" not in mail.text and "\ufffd" not in mail.subject
        assert mail.from_address in ("a@client.example", "b@client.example", "mailer-daemon@mx.client.example")
    assert sum(mail.automatic for mail in parsed) == sum(corpus.is_automatic(raw) for raw in batch) > 5


@pytest.mark.parametrize(
    "builder",
    [
        corpus.plain_french,
        corpus.hostile_html,
        corpus.html_only,
        corpus.encoded_subject,
        corpus.with_attachments,
        corpus.reply_in_thread,
        corpus.without_message_id,
        corpus.auto_reply,
        corpus.bounce,
        corpus.truncated_multipart,
        corpus.bad_base64,
        corpus.unknown_charset,
        corpus.raw_8bit_header,
    ],
)
def test_every_corpus_message_parses(builder: object) -> None:
    assert callable(builder)
    mail = parse_message(builder())
    assert mail.from_address.endswith(".example")
    assert mail.subject and mail.text and mail.html
    assert mail.date == dt.datetime(2026, 3, 2, 10, 15, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def test_plain_french_message() -> None:
    mail = parse_message(corpus.plain_french())
    assert mail.message_id == "plain-1@client.example" == mail.dedupe_key
    assert (mail.from_address, mail.from_name) == ("jean.dupont@client.example", "Jean Dupont")
    assert mail.to == ("support@provider.example",)
    assert mail.subject == "Imprimante en panne au 2e étage"
    assert "« Bourrage papier »" in mail.text and mail.text.startswith("Bonjour,\n\nL'imprimante")
    assert mail.html.startswith("<p>Bonjour,</p>")
    assert not mail.automatic and mail.attachments == () and mail.defects == ()


def test_hostile_html_is_sanitised() -> None:
    mail = parse_message(corpus.hostile_html())
    assert_inert(mail.html)
    for gone in ("evil.example", "alert", "Titre caché", "password", "data:"):
        assert gone not in mail.html
    assert "<b>le serveur</b>" in mail.html
    assert '<a href="https://docs.example/aide" rel="noopener noreferrer nofollow">la documentation</a>' in mail.html
    assert mail.text == "Bonjour, le serveur est en panne.\nMerci d'avance."  # the text alternative


def test_html_only_message_gets_its_text_from_the_html() -> None:
    mail = parse_message(corpus.html_only())
    assert mail.text == "Bonjour,\n\nLe VPN ne répond plus."
    assert mail.html == "<p>Bonjour,</p><p>Le <b>VPN</b> ne répond plus.</p>"


def test_rfc2047_subject_and_sender_are_decoded() -> None:
    mail = parse_message(corpus.encoded_subject())
    assert mail.subject == corpus.ENCODED_SUBJECT_TEXT
    assert mail.from_name == corpus.ENCODED_SENDER_NAME
    assert mail.text == "L'imprimante refuse l'accès depuis la mise à jour."  # ISO-8859-1 body


def test_rfc2047_decoder_edge_cases() -> None:
    assert decode_rfc2047("=?utf-8?q?caf=C3=A9?= =?utf-8?q?_cr=C3=A8me?=") == ("café crème", False)
    assert decode_rfc2047("Re: =?UTF-8?B?w6l0w6k=?= chaud") == ("Re: été chaud", False)
    assert decode_rfc2047("=?utf-8?b?ww==?= =?utf-8?b?qQ==?=") == ("é", False)  # one character over two words
    assert decode_rfc2047("=?utf-8*fr?q?d=C3=A9j=C3=A0?=") == ("déjà", False)
    assert decode_rfc2047("=?x-unknown?q?Caf=E9?=") == ("Café", True)
    assert decode_rfc2047("=?utf-8?b?w6l0!!w6k?=")[1] is True
    assert decode_rfc2047("=?utf-8?q?unterminated") == ("=?utf-8?q?unterminated", False)


def test_attachments_are_named_safely_and_typed_by_content() -> None:
    mail = parse_message(corpus.with_attachments())
    names = [file.filename for file in mail.attachments]
    assert names == ["devis.pdf", "capture.png", "logo.svg", "facture.pdf", "passwd", "facturefdp.exe"]
    by_name = {file.filename: file for file in mail.attachments}
    assert by_name["devis.pdf"].content == corpus.tiny_pdf()
    assert by_name["capture.png"].inline and by_name["capture.png"].content_id == "capture@x"
    assert sniff_attachment(by_name["devis.pdf"].content, "devis.pdf").content_type == "application/pdf"
    assert sniff_attachment(by_name["logo.svg"].content, "logo.svg").content_type == OCTET_STREAM
    disguised = by_name["facture.pdf"]
    assert disguised.declared_type == "application/pdf"
    verdict = sniff_attachment(disguised.content, disguised.filename)
    assert verdict.refused and verdict.content_type != "application/pdf"
    assert sniff_attachment(by_name["facturefdp.exe"].content, "facturefdp.exe").refused
    assert all("/" not in name and "\\" not in name and "\u202e" not in name for name in names)
    assert mail.text == "Bonjour,\nvoici les pièces demandées."


def test_reply_in_thread() -> None:
    mail = parse_message(corpus.reply_in_thread())
    assert mail.in_reply_to == "ticket-1-notification@provider.example"
    assert mail.references == ("original-1@client.example", "ticket-1-notification@provider.example")
    assert ticket_reference_in(mail.subject) == corpus.THREAD_REFERENCE
    assert "a écrit :" in mail.text  # the history is kept in the parsed text...
    assert strip_quoted_reply(mail.text) == corpus.REPLY_NEW_TEXT  # ...and stripped on demand
    assert not mail.automatic


def test_forwarded_message_becomes_an_eml_attachment() -> None:
    mail = parse_message(corpus.bounce())
    (attached,) = mail.attachments
    assert attached.filename == "[T-2026-00007] Votre demande.eml"
    assert attached.declared_type == "message/rfc822"
    assert b"Message-ID: <ticket-7@provider.example>" in attached.content
    assert "could not be delivered" in mail.text


def test_message_without_message_id_gets_a_stable_content_key() -> None:
    raw = corpus.without_message_id()
    first, second = parse_message(raw), parse_message(raw)
    assert first.message_id is None
    assert first.dedupe_key == second.dedupe_key == "sha256:" + hashlib.sha256(raw).hexdigest()
    other = parse_message(corpus.without_message_id(body="Un autre texte."))
    assert other.dedupe_key != first.dedupe_key


def test_message_ids_are_cleaned_and_capped() -> None:
    mail = parse_message(_simple(f"Message-ID:   <{'a' * 300}@x>  \nIn-Reply-To: bare-id@x\nReferences: <r1@x>,<r2@x>"))
    assert mail.message_id == "a" * 250 and mail.dedupe_key == mail.message_id
    assert mail.in_reply_to == "bare-id@x"
    assert mail.references == ("r1@x", "r2@x")
    many = " ".join(f"<ref{i}@x>" for i in range(300))
    refs = parse_message(_simple(f"References: {many}")).references
    assert len(refs) == 100 and refs[0] == "ref0@x" and refs[-1] == "ref299@x"


# --- Broken input ---------------------------------------------------------------------------------------------


def test_truncated_multipart_keeps_what_arrived() -> None:
    mail = parse_message(corpus.truncated_multipart())
    assert mail.text == "Le début du message arrive bien."
    assert [file.filename for file in mail.attachments] == ["rapport.pdf"]
    assert any("Boundary" in defect for defect in mail.defects)


def test_bad_base64_is_decoded_as_far_as_possible() -> None:
    mail = parse_message(corpus.bad_base64())
    assert mail.text.startswith("Bonjour, le poste est en panne.")
    assert "InvalidBase64CharactersDefect" in mail.defects


def test_unknown_charset_falls_back() -> None:
    mail = parse_message(corpus.unknown_charset())
    assert mail.subject == "Café renversé"
    assert mail.text == "Le café est renversé sur le clavier."
    assert "CharsetFallback:x-unknown" in mail.defects


def test_raw_8bit_headers_are_read() -> None:
    mail = parse_message(corpus.raw_8bit_header())
    assert mail.subject == "Problème de téléphone"  # Latin-1 bytes
    assert mail.from_name == "Jérôme Martin"  # UTF-8 bytes
    assert mail.text == "Le téléphone ne sonne plus."
    assert "8BitHeader:Subject" in mail.defects


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\r\n\r\n",
        b"garbage without headers",
        b"From: \r\nSubject: =?utf-8?b?!!!?=\r\nDate: yesterday\r\n\r\nx",
        b"Content-Type: multipart/mixed\r\n\r\n--nothing",
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain; charset="\xff"\r\n\r\nx',
        b"Content-Type: text/plain; charset=base64\r\n\r\nnot really",
        b"Content-Type: message/rfc822\r\n\r\nnot a message",
        b"From: <>\r\nFrom: a@@b\r\nTo: ,,,;;\r\nSubject: \x00\x1b[31m\xe2\x80\xae\r\n\r\n\x00\x01",
        b'Content-Type: multipart/mixed; boundary="x"\r\n\r\n'
        + b"--x\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n" * 50,
        b"Content-Type: text/html\r\n\r\n<scr" + b"<" * 5000,
        b"Subject: " + b"=?utf-8?q?x?= " * 2000 + b"\r\n\r\nbody",
    ],
)
def test_malformed_messages_never_raise(raw: bytes) -> None:
    mail = parse_message(raw)
    assert mail.dedupe_key
    assert "\x00" not in mail.subject + mail.text and "\u202e" not in mail.subject
    assert len(mail.subject) <= 250
    assert_inert(mail.html)


def test_missing_sender_and_invalid_date_are_defects() -> None:
    mail = parse_message(_simple("From: nobody\nDate: le 32 mars"))
    assert mail.from_address == "" and mail.date is None
    assert "InvalidDate" in mail.defects and "NoSender" in mail.defects


def test_date_without_offset_is_read_as_utc() -> None:
    mail = parse_message(_simple("Date: Mon, 02 Mar 2026 10:15:00 -0000"))
    assert mail.date == dt.datetime(2026, 3, 2, 10, 15, tzinfo=dt.UTC)


def test_mutated_corpus_messages_never_raise() -> None:
    """Random truncations and byte flips of real messages: best effort, never an exception."""
    rng = random.Random(20260302)
    sources = corpus.corpus_batch(len(corpus.BATCH_KINDS))
    for _ in range(300):
        raw = bytearray(rng.choice(sources))
        for _ in range(rng.randint(1, 20)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        raw = raw[: rng.randint(0, len(raw))]
        mail = parse_message(bytes(raw))
        assert_inert(mail.html)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    assert parse_message(raw).dedupe_key


# --- Loop protection -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("Auto-Submitted: auto-replied", "Auto-Submitted: auto-replied"),
        ("Auto-Submitted: auto-generated", "Auto-Submitted: auto-generated"),
        ("Precedence: bulk", "Precedence: bulk"),
        ("Precedence: junk", "Precedence: junk"),
        ("Precedence: list", "Precedence: list"),
        ("Precedence: auto_reply", "Precedence: auto_reply"),
        ("X-Autoreply: yes", "X-Autoreply header"),
        ("X-Autorespond: vacation", "X-Autorespond header"),
        ("X-Auto-Response-Suppress: All", "X-Auto-Response-Suppress: all"),
        ("X-Auto-Response-Suppress: DR, OOF", "X-Auto-Response-Suppress: oof"),
        ("X-Auto-Response-Suppress: AutoReply", "X-Auto-Response-Suppress: autoreply"),
        ("List-Id: <clients.lists.example>", "List-Id header (mailing list)"),
        ("List-Unsubscribe: <mailto:unsubscribe@lists.example>", "List-Unsubscribe header (mailing list)"),
        ("Content-Type: message/delivery-status", "Content-Type: message/delivery-status"),
        ('Content-Type: multipart/report; report-type=disposition-notification; boundary="r"', "Content-Type"),
        ("From: MAILER-DAEMON@mx.client.example", "Sender mailer-daemon@mx.client.example"),
        ("From: postmaster@client.example", "Sender postmaster@client.example"),
        ("From: Service <noreply@client.example>", "Sender noreply@client.example"),
        ("From: no-reply-factures@client.example", "Sender no-reply-factures@client.example"),
        ("From: ne.pas.repondre@client.example\nReturn-Path: <>", "Empty Return-Path (bounce)"),
        ("Subject: Out of Office: Imprimante", "Auto-reply subject"),
        ("Subject: Absence du bureau : Imprimante", "Auto-reply subject"),
        ("Subject: Réponse automatique : Imprimante", "Auto-reply subject"),
        ("Subject: Automatic reply: Imprimante", "Auto-reply subject"),
        ("Subject: Undeliverable: Imprimante", "Auto-reply subject"),
        ("Subject: Delivery Status Notification (Failure)", "Auto-reply subject"),
        ("Subject: Mail delivery failed: returning message to sender", "Auto-reply subject"),
        ("Subject: Non remis : Imprimante", "Auto-reply subject"),
    ],
)
def test_automatic_messages_are_flagged(headers: str, reason: str) -> None:
    mail = parse_message(_simple(headers))
    assert mail.automatic
    assert mail.automatic_reason.startswith(reason)


@pytest.mark.parametrize(
    "headers",
    [
        "Auto-Submitted: no",
        "Precedence: first-class",
        "X-Auto-Response-Suppress: DR, RN",
        "Subject: Out of office equipment is broken",
        "Subject: Re: Réponse automatique du copieur ?",
        "Return-Path: <jean.dupont@client.example>",
    ],
)
def test_ordinary_messages_are_not_flagged(headers: str) -> None:
    mail = parse_message(_simple(headers))
    assert not mail.automatic, mail.automatic_reason


def test_corpus_auto_replies_and_bounce_are_flagged() -> None:
    for kind in corpus.AUTO_REPLY_KINDS:
        assert parse_message(corpus.auto_reply(kind)).automatic, kind
    bounce = parse_message(corpus.bounce())
    assert bounce.automatic and bounce.from_address == "mailer-daemon@mx.client.example"


# --- Subjects and replies -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "reference"),
    [
        ("Re: [T-2026-00123] Imprimante", "T-2026-00123"),
        ("TR: Re: [T-2026-123456] Serveur", "T-2026-123456"),
        ("Suite du ticket T-2025-00042, merci", "T-2025-00042"),
        ("[t-2026-00007] minuscules", "T-2026-00007"),
        ("[T-2026-00001] et [T-2026-00002]", "T-2026-00001"),
        ("T-26-00001 année courte", None),
        ("T-2026-0001 trop court", None),
        ("XT-2026-00001 collé", None),
        ("", None),
    ],
)
def test_ticket_reference_in(subject: str, reference: str | None) -> None:
    assert ticket_reference_in(subject) == reference


@pytest.mark.parametrize(
    "reply",
    [
        "Merci !\n\nLe lun. 2 mars 2026 à 09:00, Support <support@provider.example> a écrit :\n> Bonjour\n> texte",
        "Merci !\n\nLe lundi 2 mars 2026 à 09:00, Support Pacte <\nsupport@provider.example> a écrit :\n\n> Bonjour",
        "Merci !\n\nOn Mon, Mar 2, 2026 at 9:00 AM Support <support@provider.example> wrote:\n> Hello\n> text",
        "Merci !\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nTo: Jean\nSubject: Re: x\n\nBonjour",
        "Merci !\n\n-----Message d'origine-----\nDe : Support\nBonjour",
        "Merci !\n\n________________________________\nDe : Support <support@provider.example>\nEnvoyé : lundi 2 mars"
        "\nÀ : Jean Dupont\nObjet : [T-2026-00001] Imprimante\n\nBonjour",
        "Merci !\r\n\r\nDe : Support <support@provider.example>\r\nEnvoyé : lundi 2 mars 2026 09:00\r\n"
        "À : Jean Dupont\r\nObjet : Imprimante\r\n\r\nBonjour",
        "Merci !\n\nFrom: Support <support@provider.example>\nDate: Monday, March 2, 2026\nTo: Jean\n"
        "Subject: Imprimante\n\nHello",
        "> Bonjour\n> texte\nMerci !",
    ],
)
def test_strip_quoted_reply(reply: str) -> None:
    assert strip_quoted_reply(reply) == "Merci !"


def test_strip_quoted_reply_keeps_text_when_nothing_would_remain() -> None:
    only_quote = "> Bonjour\n> texte"
    assert strip_quoted_reply(only_quote) == only_quote
    assert strip_quoted_reply("") == ""
    plain = "De : mon côté, tout va bien.\nLe serveur redémarre."
    assert strip_quoted_reply(plain) == plain  # "De :" alone is not an Outlook header block
