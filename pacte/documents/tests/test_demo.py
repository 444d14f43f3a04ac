"""`pacte demo` on a fresh var/: the demo seal certificate and a sealed sample document that verifies."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from pacte.documents.sealing import _asn1_certificate

ROOT = Path(__file__).resolve().parents[3]
DEMO_SEAL_PASSWORD = "demo-seal-not-for-production"

VERIFY = """
import json
from pacte.demo import PROVIDER_NAME
from pacte.documents import storage
from pacte.documents.demo import demo_sample_document
from pacte.documents.verification import document_verify
from pacte.tenancy.models import Membership, Provider

provider = Provider.objects.get(name=PROVIDER_NAME)
admin = Membership.objects.get(provider=provider, role="provider_admin")
document = demo_sample_document(provider)
content = storage.read(document.storage_name)
changed = bytearray(content)
changed[len(changed) // 2] ^= 1
results = [document_verify(actor=admin, content=data) for data in (content, bytes(changed))]
print(json.dumps({
    "path": str(storage.path_of(document.storage_name)),
    "sealed": document.is_sealed,
    "results": [[r.status, r.intact, r.document.pk if r.document else None] for r in results],
    "document": document.pk,
    "trusted": [s.trusted for s in results[0].signatures],
}))
"""


def run(args: list[str], var_dir: Path) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PACTE_")}
    environment.pop("DATABASE_URL", None)  # the embedded SQLite of the fresh var/, whatever the suite runs on
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    environment["PACTE_VAR_DIR"] = str(var_dir)
    return subprocess.run(  # noqa: S603
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_demo_on_a_fresh_var_creates_the_certificate_and_a_verifiable_sealed_sample(tmp_path):
    result = run(["-m", "pacte.cli", "demo", "--no-serve"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    certificate_file = tmp_path / "seals" / "demo-seal.p12"
    assert certificate_file.exists()
    assert certificate_file.stat().st_mode & 0o077 == 0  # the key is readable by its owner only
    assert "Demo seal certificate created." in result.stdout
    assert "Sealed sample document created" in result.stdout

    again = run(["-m", "pacte.cli", "demo", "--no-serve"], tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Demo seal certificate created." not in again.stdout
    assert "Sealed sample document already there" in again.stdout

    verified = run(["-m", "pacte.cli", "manage", "shell", "-c", VERIFY], tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    report = json.loads(verified.stdout.strip().splitlines()[-1])
    assert report["sealed"] is True
    assert report["results"] == [["authentic", True, report["document"]], ["modified", False, report["document"]]]
    assert report["trusted"] == [True]

    # The sealed sample validates with pyHanko against the demo certificate, outside Pacte.
    _key, certificate, _chain = pkcs12.load_key_and_certificates(
        certificate_file.read_bytes(), DEMO_SEAL_PASSWORD.encode()
    )
    content = Path(report["path"]).read_bytes()
    (signature,) = PdfFileReader(io.BytesIO(content)).embedded_signatures
    status = validate_pdf_signature(
        signature, ValidationContext(trust_roots=[_asn1_certificate(certificate)], allow_fetching=False)
    )
    assert status.bottom_line and status.intact and status.trusted
