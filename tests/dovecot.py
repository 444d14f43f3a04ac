"""A real, throw-away Dovecot IMAP server for tests (no mock: the IMAP code meets a real server's quirks).

``running_dovecot(tmp_path)`` writes a minimal configuration (IMAP only, plain-text login over
127.0.0.1 on a free port, one passwd-file user, a Maildir), starts ``/usr/sbin/dovecot -F`` and
stops it on exit. Without Dovecot installed the test is skipped, or fails under ``PACTE_REQUIRE_ALL=1``.

Run as root, the mail processes run as ``nobody`` (Dovecot refuses uid 0 for mail) and the server's
files live in a world-traversable temporary directory, since pytest's ``tmp_path`` is private to
root; run as an ordinary user (CI), Dovecot runs entirely as that user ("rootless" setup).
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DOVECOT = Path("/usr/sbin/dovecot")
USER = "pacte"
PASSWORD = "imap-test-secret"
_APPENDUID = re.compile(rb"APPENDUID (\d+) (\d+)")


@dataclass(frozen=True)
class DovecotServer:
    host: str
    port: int
    user: str
    password: str
    maildir_path: Path
    log_path: Path

    def connect(self) -> imaplib.IMAP4:
        """A logged-in IMAP connection (the caller logs out)."""
        connection = imaplib.IMAP4(self.host, self.port, timeout=10)
        connection.login(self.user, self.password)
        return connection

    def append(self, raw: bytes, mailbox: str = "INBOX") -> int:
        """Deliver a message into ``mailbox`` with IMAP APPEND; returns its UID."""
        connection = self.connect()
        try:
            result: Any = connection.append(mailbox, "", "", raw)  # typeshed wrongly says it returns a str
            typ, data = result
        finally:
            connection.logout()
        assert typ == "OK", data
        match = _APPENDUID.search(b" ".join(item for item in data if isinstance(item, bytes)))
        assert match, f"no APPENDUID in {data!r}"
        return int(match.group(2))

    def create_mailbox(self, name: str) -> None:
        """Create a folder, so each test can have its own UIDs."""
        connection = self.connect()
        try:
            typ, data = connection.create(name)
        finally:
            connection.logout()
        assert typ == "OK", data

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def require_dovecot() -> None:
    """Skip (or fail under PACTE_REQUIRE_ALL=1) when Dovecot is not installed."""
    if DOVECOT.exists() and os.access(DOVECOT, os.X_OK):
        return
    message = f"Dovecot is not installed ({DOVECOT} missing): apt-get install dovecot-imapd"
    if os.environ.get("PACTE_REQUIRE_ALL") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dovecot_config(
    root: Path, port: int, *, mail_uid: int, mail_gid: int, rootless_user: str | None, rootless_group: str | None = None
) -> str:
    """The configuration text; ``rootless_user`` runs every Dovecot process as that user and group (no chroot)."""
    rootless = ""
    if rootless_user:
        rootless = (
            f"default_internal_user = {rootless_user}\n"
            f"default_internal_group = {rootless_group or rootless_user}\n"
            f"default_login_user = {rootless_user}\n"
            "service anvil {\n  chroot =\n}\n"
            "service imap-login {\n  chroot =\n}\n"
        )
    return (
        "protocols = imap\n"
        "listen = 127.0.0.1\n"
        f"base_dir = {root}/run\n"
        f"state_dir = {root}/state\n"
        f"log_path = {root}/dovecot.log\n"
        "ssl = no\n"
        "disable_plaintext_auth = no\n"
        "auth_mechanisms = plain login\n"
        f"first_valid_uid = {min(mail_uid, 100) or 1}\n"
        f"first_valid_gid = {min(mail_gid, 100) or 1}\n"
        "passdb {\n  driver = passwd-file\n"
        f"  args = scheme=PLAIN username_format=%u {root}/passwd\n}}\n"
        "userdb {\n  driver = static\n"
        f"  args = uid={mail_uid} gid={mail_gid} home={root}/home\n}}\n"
        f"mail_location = maildir:{root}/Maildir\n"
        "service imap-login {\n"
        f"  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n"
        "  inet_listener imaps {\n    port = 0\n  }\n"
        "}\n" + rootless
    )


def _wait_for_port(process: subprocess.Popen[bytes], port: int, log_path: Path, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            log = log_path.read_text(errors="replace") if log_path.exists() else ""
            raise RuntimeError(f"dovecot exited with {process.returncode}:\n{output}\n{log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"dovecot did not listen on 127.0.0.1:{port} within {timeout}s")


@contextmanager
def running_dovecot(tmp_path: Path) -> Iterator[DovecotServer]:
    """Start a private Dovecot for the duration of the ``with`` block."""
    require_dovecot()
    as_root = os.geteuid() == 0
    if as_root:  # the mail processes (uid nobody) must reach the Maildir: tmp_path's parents are root-only
        root = Path(tempfile.mkdtemp(prefix="pacte-dovecot-"))
        root.chmod(0o755)
        nobody = pwd.getpwnam("nobody")
        mail_uid, mail_gid, rootless_user, rootless_group = nobody.pw_uid, nobody.pw_gid, None, None
    else:
        root = tmp_path / "dovecot"
        root.mkdir(parents=True, exist_ok=True)
        mail_uid, mail_gid = os.getuid(), os.getgid()
        rootless_user, rootless_group = pwd.getpwuid(mail_uid).pw_name, grp.getgrgid(mail_gid).gr_name
    for directory in ("run", "state", "home", "Maildir"):
        (root / directory).mkdir(exist_ok=True)
        if as_root and directory in ("home", "Maildir"):
            os.chown(root / directory, mail_uid, mail_gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = _free_port()
    config = root / "dovecot.conf"
    config.write_text(
        dovecot_config(
            root, port, mail_uid=mail_uid, mail_gid=mail_gid, rootless_user=rootless_user, rootless_group=rootless_group
        )
    )
    log_path = root / "dovecot.log"
    process = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        _wait_for_port(process, port, log_path)
        yield DovecotServer("127.0.0.1", port, USER, PASSWORD, root / "Maildir", log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()
        if as_root:
            shutil.rmtree(root, ignore_errors=True)
