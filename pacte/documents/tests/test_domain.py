"""Pure rules: file names, PDF identity, the verification verdict."""

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pacte.documents.domain import (
    SignatureCheck,
    VerificationStatus,
    looks_like_pdf,
    pdf_identifier,
    safe_filename,
    sha256_hex,
    verification_verdict,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Contrat de maintenance 2026", "Contrat de maintenance 2026.pdf"),
        ("Facture FA-2026-000123.pdf", "Facture FA-2026-000123.pdf"),
        ("Échéancier (révisé)", "Échéancier (révisé).pdf"),
        ("Contrat d'assistance n°12", "Contrat d'assistance n_12.pdf"),
        ('../../etc/passwd"; x=1', "etc_passwd__ x_1.pdf"),
        ("a\r\nContent-Type: text/html", "a Content-Type_ text_html.pdf"),
        ("", "document.pdf"),
        ("...", "document.pdf"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name, ".pdf") == expected


@given(st.text(max_size=300))
def test_safe_filename_never_carries_separators_quotes_or_control_characters(name):
    result = safe_filename(name, ".pdf")
    assert result.endswith(".pdf")
    assert len(result) <= 124
    assert not set(result) & set('/\\"<>:;*?|%')
    assert all(character.isprintable() for character in result)
    assert not result.startswith(".")


def test_sha256_hex():
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize(
    ("head", "expected"),
    [(b"%PDF-1.7\n", True), (b"\x00" * 100 + b"%PDF-2.0", True), (b"PK\x03\x04", False), (b"", False)],
)
def test_looks_like_pdf(head, expected):
    assert looks_like_pdf(head) is expected


def test_pdf_header_after_the_first_kilobyte_is_not_a_pdf():
    assert not looks_like_pdf(b" " * 1024 + b"%PDF-1.7")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"trailer << /ID [<0A1b2C3d> <ffff>] >>", "0a1b2c3d"),
        (b"/ID[(4424a9)(x)]", b"4424a9".hex()),
        (b"/ID [ (a\\)b\\101\\n) (x) ]", b"a)bA\n".hex()),
        (b"/ID [<0a1>]", "0a10"),
        (b"%PDF-1.4 no identifier", ""),
    ],
)
def test_pdf_identifier(content, expected):
    assert pdf_identifier(content) == expected


def test_pdf_identifier_is_the_same_in_both_forms_of_an_incremental_update():
    literal = b"/ID [(4424a903) (4424a903)] ... /ID [ <3434323461393033> <00ff> ]"
    assert pdf_identifier(literal) == pdf_identifier(b"/ID [ <3434323461393033> <00ff> ]")


def _check(**overrides) -> SignatureCheck:
    values = {
        "field_name": "Seal",
        "signer": "CN=Seal",
        "signer_fingerprint": "ab",
        "signed_at": None,
        "by_provider": True,
        "intact": True,
        "valid": True,
        "trusted": True,
        "covers_whole_file": True,
    }
    values.update(overrides)
    return SignatureCheck(**values)


@pytest.mark.parametrize(
    ("stored", "identified", "checks", "status", "intact"),
    [
        (True, True, [], VerificationStatus.AUTHENTIC, True),
        (True, True, [_check(intact=False)], VerificationStatus.AUTHENTIC, True),
        (False, False, [_check()], VerificationStatus.AUTHENTIC, True),
        (False, True, [_check(intact=False, trusted=False)], VerificationStatus.MODIFIED, False),
        (False, True, [_check()], VerificationStatus.MODIFIED, False),
        (False, False, [_check(intact=False)], VerificationStatus.MODIFIED, False),
        (False, False, [_check(covers_whole_file=False)], VerificationStatus.MODIFIED, False),
        (False, False, [_check(trusted=False)], VerificationStatus.MODIFIED, False),
        (False, True, [], VerificationStatus.MODIFIED, False),
        (False, False, [_check(by_provider=False)], VerificationStatus.UNKNOWN, None),
        (False, False, [], VerificationStatus.UNKNOWN, None),
    ],
)
def test_verification_verdict(stored, identified, checks, status, intact):
    verdict = verification_verdict(stored_match=stored, identified=identified, signatures=checks)
    assert (verdict.status, verdict.intact) == (status, intact)


def test_filename_alphabet_sanity():
    assert safe_filename(string.printable, ".docx").endswith(".docx")
