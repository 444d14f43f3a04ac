"""Mail sources: a Maildir folder on disk and a real IMAP server (a private Dovecot, no mock)."""

from __future__ import annotations

import email
import email.policy
import itertools
import mailbox
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from pacte.servicedesk.inbound.parse import parse_message
from pacte.servicedesk.inbound.sources import ImapSource, MaildirSource, SourceError, imap_key
from tests import dovecot as dovecot_helper
from tests import mailcorpus as corpus
from tests.dovecot import DovecotServer, running_dovecot

_folders = itertools.count(1)

# --- Maildir ----------------------------------------------------------------------------------------------------


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    path = tmp_path / "Maildir"
    mailbox.Maildir(path, create=True)
    return path


def _deliver(path: Path, raw: bytes) -> str:
    return mailbox.Maildir(path, create=False).add(raw)


def test_maildir_yields_unread_messages_until_marked_done(maildir: Path) -> None:
    raws = [corpus.plain_french(message_id=f"m{i}@client.example") for i in range(3)]
    keys = [_deliver(maildir, raw) for raw in raws]
    source = MaildirSource(maildir)

    first = list(source.messages())
    assert sorted(first) == sorted(zip(keys, raws, strict=True))  # the exact bytes, keyed by Maildir key
    assert list(source.messages()) == first  # not marked done: offered again (the database de-duplicates)

    source.mark_done(keys[1])
    assert sorted(key for key, _ in source.messages()) == sorted([keys[0], keys[2]])
    (moved,) = (maildir / "cur").iterdir()
    assert moved.name == f"{keys[1]}:2,S" and moved.read_bytes() == raws[1]
    assert not (maildir / "new" / keys[1]).exists()

    source.mark_done(keys[1])  # done twice: nothing happens
    assert [path.name for path in (maildir / "cur").iterdir()] == [f"{keys[1]}:2,S"]
    with pytest.raises(KeyError):
        source.mark_done("no-such-key")


def test_maildir_reads_cur_without_seen_flag_and_keeps_other_flags(maildir: Path) -> None:
    raw = corpus.plain_french()
    (maildir / "cur" / "1700000000.M1P1.host:2,F").write_bytes(raw)  # flagged, not seen: a person opened it
    (maildir / "cur" / "1700000001.M2P2.host:2,RS").write_bytes(raw)  # already seen: not for us
    (maildir / "cur" / "1700000002.M3P3.host:2,T").write_bytes(raw)  # trashed
    (maildir / "tmp" / "1700000003.M4P4.host").write_bytes(raw)  # still being delivered
    source = MaildirSource(maildir)
    assert [key for key, _ in source.messages()] == ["1700000000.M1P1.host"]
    source.mark_done("1700000000.M1P1.host")
    assert (maildir / "cur" / "1700000000.M1P1.host:2,FS").read_bytes() == raw
    assert list(source.messages()) == []


def test_maildir_messages_parse(maildir: Path) -> None:
    for raw in corpus.corpus_batch(15):
        _deliver(maildir, raw)
    parsed = [parse_message(raw) for _, raw in MaildirSource(maildir).messages()]
    assert len({mail.dedupe_key for mail in parsed}) == 15


def test_maildir_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError):
        MaildirSource(tmp_path / "absent")
    (tmp_path / "not-a-maildir").mkdir()
    with pytest.raises(SourceError):
        MaildirSource(tmp_path / "not-a-maildir")


# --- IMAP ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DovecotServer]:
    with running_dovecot(tmp_path_factory.mktemp("dovecot")) as server:
        yield server


@pytest.fixture
def folder(dovecot: DovecotServer) -> str:
    """A fresh IMAP folder per test (UIDs start at 1 in each)."""
    name = f"Test{next(_folders)}"
    dovecot.create_mailbox(name)
    return name


def _source(server: DovecotServer, folder: str, **overrides: object) -> ImapSource:
    options: dict[str, object] = {"mailbox": folder, "security": "none", "timeout": 10} | overrides
    return ImapSource(server.host, server.port, server.user, server.password, **options)  # type: ignore[arg-type]


def _message_id(raw: bytes) -> str:
    return str(email.message_from_bytes(raw, policy=email.policy.default)["Message-ID"])


def test_imap_fetches_in_uid_order_then_nothing(dovecot: DovecotServer, folder: str) -> None:
    raws = [corpus.plain_french(message_id=f"imap-{i}@client.example", subject=f"Demande {i}") for i in range(5)]
    uids = [dovecot.append(raw, folder) for raw in raws]
    assert uids == sorted(uids) and len(set(uids)) == 5

    with _source(dovecot, folder) as source:
        fetched = list(source.fetch_since(0))
        assert [uid for uid, _ in fetched] == uids
        assert [raw for _, raw in fetched] == raws  # byte for byte
        assert [parse_message(raw).message_id for _, raw in fetched] == [f"imap-{i}@client.example" for i in range(5)]

        last = fetched[-1][0]
        assert list(source.fetch_since(last)) == []
        assert [uid for uid, _ in source.fetch_since(uids[1])] == uids[2:]
        assert [uid for uid, _ in source.fetch_since(0, limit=2)] == uids[:2]


def test_imap_uid_search_quirk_is_handled(dovecot: DovecotServer, folder: str) -> None:
    """``UID SEARCH UID n:*`` answers the last message even when its UID is below n; we must not re-read it."""
    uids = [dovecot.append(corpus.plain_french(message_id=f"quirk-{i}@client.example"), folder) for i in range(2)]
    with _source(dovecot, folder) as source:
        typ, data = source.connection.uid("SEARCH", f"UID {uids[-1] + 1}:*")
        assert typ == "OK" and data[0].split() == [str(uids[-1]).encode()]  # the server's quirk, for real
        assert source.uids_after(uids[-1]) == []
        assert list(source.fetch_since(uids[-1])) == []
        assert list(source.fetch_since(uids[-1] + 100)) == []


def test_imap_uidvalidity_is_stable_and_keys_are_scoped(dovecot: DovecotServer, folder: str) -> None:
    uid = dovecot.append(corpus.plain_french(), folder)
    with _source(dovecot, folder) as source:
        first = source.uidvalidity
    with _source(dovecot, folder) as source:
        assert source.uidvalidity == first > 0
    assert imap_key(folder, first, uid) == f"{folder}:{first}:{uid}"


def test_imap_fetch_does_not_mark_seen_until_asked(dovecot: DovecotServer, folder: str) -> None:
    uids = [dovecot.append(corpus.plain_french(message_id=f"seen-{i}@client.example"), folder) for i in range(2)]

    def seen(uid: int) -> bool:
        connection = dovecot.connect()
        try:
            connection.select(folder, readonly=True)
            typ, data = connection.uid("FETCH", str(uid), "(FLAGS)")
        finally:
            connection.logout()
        return b"\\Seen" in data[0]

    with _source(dovecot, folder) as source:
        assert len(list(source.fetch_since(0))) == 2
        assert not seen(uids[0]) and not seen(uids[1])  # BODY.PEEK[]
        source.mark_seen(uids[0])
    assert seen(uids[0]) and not seen(uids[1])


def test_imap_corpus_round_trip(dovecot: DovecotServer, folder: str) -> None:
    batch = corpus.corpus_batch(len(corpus.BATCH_KINDS))
    for raw in batch:
        dovecot.append(raw, folder)
    with _source(dovecot, folder) as source:
        fetched = [raw for _, raw in source.fetch_since(0)]
    assert len(fetched) == len(batch)
    for original, received in zip(batch, fetched, strict=True):
        assert parse_message(received).dedupe_key == parse_message(original).dedupe_key
        assert parse_message(received).automatic == corpus.is_automatic(original)


def test_imap_wrong_password_never_shows_it(dovecot: DovecotServer, folder: str) -> None:
    secret = "Wr0ng-Pa55word"
    source = ImapSource(dovecot.host, dovecot.port, dovecot.user, secret, mailbox=folder, security="none", timeout=10)
    assert secret not in repr(source)
    with pytest.raises(SourceError) as failure:
        with source:
            pass
    assert secret not in str(failure.value) and secret not in repr(failure.value)
    assert failure.value.__cause__ is None or secret not in str(failure.value.__cause__)


def test_imap_unknown_mailbox_and_unreachable_server(dovecot: DovecotServer) -> None:
    with pytest.raises(SourceError, match="cannot open mailbox"):
        with _source(dovecot, "Does-Not-Exist"):
            pass
    with pytest.raises(SourceError, match="cannot connect"):  # TLS expected, plain IMAP answered
        with _source(dovecot, "INBOX", security="ssl", timeout=5):
            pass
    with pytest.raises(SourceError):
        _source(dovecot, "INBOX").uidvalidity  # noqa: B018  (not opened)


def test_imap_starttls_refused_by_a_server_without_tls(dovecot: DovecotServer) -> None:
    with pytest.raises(SourceError):
        with _source(dovecot, "INBOX", security="starttls", ssl_context=ssl.create_default_context()):
            pass


def test_imap_closes_cleanly_when_the_server_dropped_us(dovecot: DovecotServer, folder: str) -> None:
    source = _source(dovecot, folder)
    with source:
        source.connection.shutdown()  # the connection dies under us
    with pytest.raises(SourceError, match="not open"):
        source.connection  # noqa: B018


def test_missing_dovecot_skips_or_fails_under_require_all(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(dovecot_helper, "DOVECOT", tmp_path / "no-dovecot")
    monkeypatch.delenv("PACTE_REQUIRE_ALL", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Dovecot is not installed"):
        dovecot_helper.require_dovecot()
    monkeypatch.setenv("PACTE_REQUIRE_ALL", "1")
    with pytest.raises(pytest.fail.Exception, match="Dovecot is not installed"):
        dovecot_helper.require_dovecot()
