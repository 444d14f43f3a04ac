"""The provider's seal: PKCS#12 loading with clear errors, PAdES sealing and validation (pyHanko).

Which certificate seals a provider's documents (``seal_configuration``):
``PACTE_SEAL_P12_<provider id>`` / ``PACTE_SEAL_PASSWORD_<provider id>`` if set, else the install's
``PACTE_SEAL_P12`` / ``PACTE_SEAL_PASSWORD`` (``pacte demo`` points these at a self-signed demo
certificate it creates under ``var/seals/``).
"""

from __future__ import annotations

import datetime
import io
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _

from pacte.documents.domain import SignatureCheck
from pacte.documents.errors import SealCertificateError

SEAL_REASON = "Document émis par Pacte pour le prestataire (cachet électronique)"


@dataclass(frozen=True)
class SealConfiguration:
    path: str
    password: str


@dataclass(frozen=True)
class SealMaterial:
    """A usable seal: the certificate, its key, any chain certificates, and the PKCS#12 it came from."""

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    p12: bytes
    password: bytes

    @property
    def fingerprint(self) -> str:
        return certificate_fingerprint(self.certificate)


def certificate_fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def certificate_subject(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string()[:300]


def seal_configuration(provider_id: int) -> SealConfiguration:
    default = (settings.PACTE_SEAL_P12, settings.PACTE_SEAL_PASSWORD)
    path, password = settings.PACTE_SEAL_PROVIDERS.get(provider_id, default)
    return SealConfiguration(path=path, password=password)


def _is_pkcs12(data: bytes) -> bool:
    from asn1crypto import pkcs12 as asn1_pkcs12

    try:
        pfx = asn1_pkcs12.Pfx.load(data)
        pfx["auth_safe"]["content_type"].native  # noqa: B018  (forces the parse)
    except (ValueError, TypeError, KeyError):
        return False
    return True


def seal_material_load(configuration: SealConfiguration, *, now: datetime.datetime) -> SealMaterial:
    """Open the PKCS#12 file, or say exactly why it cannot seal (missing, unreadable, password, expiry)."""
    if not configuration.path:
        raise SealCertificateError(
            _("No seal certificate is configured for this provider: set PACTE_SEAL_P12 and PACTE_SEAL_PASSWORD.")
        )
    try:
        data = Path(configuration.path).read_bytes()
    except OSError as error:
        raise SealCertificateError(
            _("The seal certificate file %(path)s cannot be read (%(reason)s).")
            % {"path": configuration.path, "reason": error.strerror or error.__class__.__name__}
        ) from error
    if not _is_pkcs12(data):
        raise SealCertificateError(
            _("The seal certificate file %(path)s is not a PKCS#12 (.p12) file.") % {"path": configuration.path}
        )
    password = configuration.password.encode()
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, password or None)
    except ValueError as error:
        raise SealCertificateError(
            _("The password of the seal certificate is wrong (PACTE_SEAL_PASSWORD): nothing was sealed.")
        ) from error
    if key is None or certificate is None:
        raise SealCertificateError(
            _("The seal certificate file %(path)s must hold a certificate and its private key.")
            % {"path": configuration.path}
        )
    if certificate.not_valid_after_utc < now:
        raise SealCertificateError(
            _("The seal certificate expired on %(date)s: renew it before sealing documents.")
            % {"date": formats.date_format(certificate.not_valid_after_utc, "DATE_FORMAT")}
        )
    if certificate.not_valid_before_utc > now:
        raise SealCertificateError(
            _("The seal certificate is not valid before %(date)s.")
            % {"date": formats.date_format(certificate.not_valid_before_utc, "DATE_FORMAT")}
        )
    return SealMaterial(certificate=certificate, chain=tuple(chain), p12=data, password=password)


def pdf_seal(content: bytes, material: SealMaterial, *, signer_name: str) -> bytes:
    """Add an invisible PAdES signature (baseline B) as an incremental update: the original bytes stay a prefix."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = signers.SimpleSigner.load_pkcs12_data(material.p12, other_certs=(), passphrase=material.password or None)
    writer = IncrementalPdfFileWriter(io.BytesIO(content), strict=False)
    metadata = signers.PdfSignatureMetadata(
        field_name=f"PacteSeal{uuid.uuid4().hex[:12]}",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=SEAL_REASON,
        name=signer_name[:200],
    )
    output = signers.sign_pdf(writer, metadata, signer=signer)
    return bytes(output.getvalue())


# Validation -------------------------------------------------------------------------------------


class PdfUnreadableError(Exception):
    """The bytes start like a PDF but cannot be parsed."""


def _asn1_certificate(certificate: x509.Certificate) -> Any:
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _signer_identity(embedded: Any) -> tuple[str, str]:
    try:
        certificate = x509.load_der_x509_certificate(embedded.signer_cert.dump())
    except Exception:  # noqa: BLE001  (a mangled signature has no readable certificate)
        return "", ""
    return certificate_subject(certificate), certificate_fingerprint(certificate)


def pdf_signatures_check(
    content: bytes, *, trusted: Sequence[x509.Certificate], moment: datetime.datetime | None
) -> list[SignatureCheck]:
    """Every embedded signature, validated by pyHanko with ``trusted`` as the only trust roots.

    ``moment`` is when the certificates must have been valid (the sealing time of a stored document,
    so a certificate that expired since still validates what it sealed); None is now. Nothing is
    fetched from the network (no OCSP, no CRL).
    """
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(content), strict=False)
        embedded_signatures = list(reader.embedded_signatures)
    except Exception as error:  # noqa: BLE001  (any parse failure means the same to the person)
        raise PdfUnreadableError(str(error)) from error
    fingerprints = {certificate_fingerprint(certificate) for certificate in trusted}
    roots = [_asn1_certificate(certificate) for certificate in trusted]
    usage = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)
    checks = []
    for embedded in embedded_signatures:
        signer, fingerprint = _signer_identity(embedded)
        name = str(embedded.field_name or "")
        context = ValidationContext(trust_roots=roots, allow_fetching=False, moment=moment)
        try:
            status = validate_pdf_signature(embedded, context, key_usage_settings=usage)
        except Exception as error:  # noqa: BLE001  (a broken signature is reported, not raised)
            checks.append(
                SignatureCheck(
                    field_name=name,
                    signer=signer,
                    signer_fingerprint=fingerprint,
                    signed_at=None,
                    by_provider=fingerprint in fingerprints,
                    intact=False,
                    valid=False,
                    trusted=False,
                    covers_whole_file=False,
                    error=str(error)[:300],
                )
            )
            continue
        from pyhanko.sign.validation.status import SignatureCoverageLevel

        checks.append(
            SignatureCheck(
                field_name=name,
                signer=signer,
                signer_fingerprint=fingerprint,
                signed_at=status.signer_reported_dt,
                by_provider=fingerprint in fingerprints,
                intact=bool(status.intact),
                valid=bool(status.valid),
                trusted=bool(status.trusted),
                covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
            )
        )
    return checks


def certificates_from_pem(pems: Iterable[str]) -> list[x509.Certificate]:
    return [x509.load_pem_x509_certificate(pem.encode()) for pem in pems]


def certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


# The demo certificate -----------------------------------------------------------------------------


def self_signed_p12_create(
    path: Path,
    *,
    password: str,
    common_name: str,
    organization: str,
    valid_from: datetime.datetime,
    valid_until: datetime.datetime,
) -> x509.Certificate:
    """Write a new self-signed seal certificate and its key as a PKCS#12 file (never over an existing file).

    For the demo and the tests only: a real seal certificate comes from a certification authority.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization[:64]),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        common_name.encode(), key, certificate, None, serialization.BestAvailableEncryption(password.encode())
    )
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return certificate
