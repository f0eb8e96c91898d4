"""DKIM: with a selector and a key, every mail leaves signed (notifications, command replies, digests, .eml files) and
verifies with dkimpy against the published key; an altered mail does not; without the settings nothing is signed; a
key that cannot be read stops the start."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import dkim
import pytest

from bot.app import App
from bot.services import demo
from bot.services.calendar import week_key
from mail.signing import DkimKeyError
from models import Community, Follow, Project, Role
from tests.mail.conftest import DOMAIN, Relais, mail_settings, serve, shutdown
from tests.mail.test_outbound import follower, news, written_eml

RSA = pytest.importorskip("Crypto.PublicKey.RSA", reason="pycryptodome (installed with matrix-nio) makes the test key")
SELECTOR = "relais2026"


@dataclass(frozen=True)
class Key:
    pem: bytes  # PKCS#8, as `openssl genrsa` writes it
    txt: bytes  # the DNS TXT record of <selector>._domainkey.<domain>

    def dns(self, name: bytes, timeout: float = 5, **_) -> bytes | None:
        """dkimpy's DNS lookup, answered with the published record (and nothing for any other name)."""
        return self.txt if name.rstrip(b".").lower() == f"{SELECTOR}._domainkey.{DOMAIN}".encode() else None

    def verify(self, data: bytes) -> bool:
        return dkim.verify(data, dnsfunc=self.dns, logger=logging.getLogger("tests.dkim.verify"))


@pytest.fixture(scope="module")
def key() -> Key:
    private = RSA.generate(2048)
    public = base64.b64encode(private.publickey().export_key(format="DER"))
    return Key(private.export_key(format="PEM", pkcs=8), b"v=DKIM1; k=rsa; p=" + public)


def key_file(tmp_path: Path, key: Key) -> Path:
    path = tmp_path / "dkim.pem"
    path.write_bytes(key.pem)
    path.chmod(0o600)
    return path


@pytest.fixture
async def signed(tmp_path, clock, sink, key):
    settings = mail_settings(tmp_path, sink, mail={"dkim_selector": SELECTOR, "dkim_key_file": str(key_file(tmp_path, key))})
    app, mail, stop, task = await serve(settings, clock)
    yield Relais(app, mail, sink, clock, tmp_path, settings.web.public_url)
    await shutdown(app, stop, task)


def tags(data: bytes) -> dict[str, str]:
    """The tags of the mail's DKIM-Signature header, unfolded."""
    header = re.search(rb"^DKIM-Signature:(.*?)\r?\n(?![ \t])", data, re.M | re.S)
    assert header is not None, "no DKIM-Signature"
    value = re.sub(rb"\s+", b"", header.group(1)).decode()
    return dict(part.split("=", 1) for part in value.split(";") if part)


async def test_a_notification_and_a_command_reply_leave_signed_and_an_altered_mail_fails(signed: Relais, key: Key, caplog):
    caplog.set_level(logging.DEBUG)
    await follower(signed, "Ana", "ana@example.org")
    await news(signed, "La cuve est arrivée, on brasse samedi !")
    [mail] = await signed.wait_mail(predicate=lambda m: m.rcpt_tos == ("ana@example.org",))
    assert mail.raw.startswith(b"DKIM-Signature: ")
    sig = tags(mail.raw)
    assert (sig["a"], sig["c"], sig["d"], sig["s"]) == ("rsa-sha256", "relaxed/relaxed", DOMAIN, SELECTOR)
    signed_headers = set(sig["h"].split(":"))
    assert {"from", "to", "subject", "date", "message-id", "mime-version", "content-type", "list-unsubscribe",
            "list-unsubscribe-post", "reply-to"} <= signed_headers
    assert key.verify(mail.raw)
    assert mail["Subject"] and mail.message.get_body(("plain",)).get_content()  # the mail itself is whole
    # Changed on the way: a header, a word of the body, an added line: the signature no longer holds.
    assert not key.verify(mail.raw.replace(b"Subject: ", b"Subject: [ad] ", 1))
    head, _, body = mail.raw.partition(b"\r\n\r\n")
    altered = head + b"\r\n\r\n" + body.replace(b"brasse", b"brassE", 1)
    assert altered != mail.raw and not key.verify(altered)
    assert not key.verify(mail.raw + b"Un lien de plus : http://example.com/\r\n")
    # A command reply (the outgoing queue) is signed too, threading headers included.
    await signed.send("From: ana@example.org\nSubject: projets\nMessage-ID: <q1@example.org>\n\nprojets\n")
    [reply] = await signed.wait_mail(predicate=lambda m: m.rcpt_tos == ("ana@example.org",) and m["In-Reply-To"] == "<q1@example.org>")
    assert {"in-reply-to", "references"} <= set(tags(reply.raw)["h"].split(":"))
    assert key.verify(reply.raw)
    # Signing logs nothing of the mails it signs (dkimpy's debug lines quote their headers), nor of the key.
    private_b64 = b"".join(key.pem.splitlines()[1:-1]).decode()
    assert not [r for r in caplog.records if r.name.startswith(("dkimpy", "relais.mail.dkim"))]
    assert private_b64[:40] not in caplog.text


async def test_a_digest_leaves_signed_and_verifies(signed: Relais, key: Key):
    ana = await signed.person_with_email("Ana", "ana@example.org", role=Role.OBSERVER)
    await Follow.create(person=ana, project=await Project.get(slug="dombes-brasserie"))
    runner = await signed.app.digest_runner()
    counts = await runner.run(await Community.get(slug=demo.SLUG), signed.clock(), week_key(signed.clock().date()))
    assert counts.sent >= 1
    [digest] = await signed.wait_mail(predicate=lambda m: m.rcpt_tos == ("ana@example.org",))
    assert digest["List-Id"] and digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert {"list-unsubscribe", "list-unsubscribe-post", "content-type"} <= set(tags(digest.raw)["h"].split(":"))
    assert key.verify(digest.raw)
    assert not key.verify(digest.raw.replace(b"List-Unsubscribe: <", b"List-Unsubscribe: <http://evil.example/>, <", 1))


async def test_without_an_smtp_server_the_eml_files_are_signed(tmp_path, clock, sink, key: Key):
    settings = mail_settings(tmp_path, sink, smtp={"url": ""},
                             mail={"dkim_selector": SELECTOR, "dkim_key_file": str(key_file(tmp_path, key))})
    app, mail, stop, task = await serve(settings, clock)
    relais = Relais(app, mail, sink, clock, tmp_path, settings.web.public_url)
    try:
        await follower(relais, "Ana", "ana@example.org")
        await news(relais)
        await relais.settle()
        data = await written_eml(tmp_path / "mail-out")
        assert data.startswith(b"DKIM-Signature: ") and key.verify(data)
        assert key.verify(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))  # as it reads once sent over SMTP
    finally:
        await shutdown(app, stop, task)


async def test_without_the_settings_no_mail_is_signed(relais: Relais):
    assert relais.app.settings.mail.dkim_selector == ""
    await follower(relais, "Ana", "ana@example.org")
    await news(relais)
    [mail] = await relais.wait_mail(predicate=lambda m: m.rcpt_tos == ("ana@example.org",))
    assert mail["DKIM-Signature"] is None and b"DKIM-Signature" not in mail.raw


def test_a_key_file_that_cannot_be_used_stops_the_start_naming_the_setting(tmp_path, clock, sink, key: Key):
    def start(**mail) -> str:
        with pytest.raises(DkimKeyError) as caught:
            App(mail_settings(tmp_path, sink, mail={"dkim_selector": SELECTOR, **mail}), clock=clock)
        return str(caught.value)

    missing = start(dkim_key_file=str(tmp_path / "nowhere.pem"))
    assert "RELAIS_DKIM_KEY_FILE" in missing and "nowhere.pem" in missing
    assert "RELAIS_DKIM_KEY_FILE" in start()  # a selector without a key
    public = tmp_path / "public.pem"  # the public half given by mistake: not a private key, and not quoted
    public.write_bytes(RSA.import_key(key.pem).publickey().export_key(format="PEM"))
    wrong = start(dkim_key_file=str(public))
    assert "not a PEM RSA private key" in wrong and "MII" not in wrong
    unreadable = tmp_path / "dkim.pem"
    unreadable.mkdir()
    assert "cannot read" in start(dkim_key_file=str(unreadable))
