"""DKIM signing of outgoing mail (dkimpy): for setups that send straight to the world rather than through a relay
that signs. The key is read once when Relais starts; each mail is signed as the exact bytes that leave, the
signature header put in front of them."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("relais.mail.dkim")

# What a receiver checks and a forger would change: signed when the mail has them (relaxed/relaxed, rsa-sha256).
SIGNED = ("From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type", "List-Unsubscribe",
          "List-Unsubscribe-Post", "Reply-To", "In-Reply-To", "References")
_SIGNED = {name.lower().encode("ascii") for name in SIGNED}
_PROBE = b"From: probe@example.org\r\nSubject: probe\r\n\r\nprobe\r\n"

# dkimpy logs the canonical headers it signs at debug level: they stay out of Relais' logs.
_QUIET = logging.Logger("relais.mail.dkim.quiet", level=logging.CRITICAL + 1)


class DkimKeyError(ValueError):
    """The DKIM settings cannot sign: the message names the setting to change (never the key)."""


class DkimSigner:
    """Signs one mail's bytes with one selector, domain and RSA key."""

    def __init__(self, selector: str, domain: str, key: bytes):
        self.selector = selector.encode("ascii")
        self.domain = domain.encode("ascii")
        self._key = key

    @classmethod
    def load(cls, selector: str, key_file: str, domain: str) -> DkimSigner | None:
        """The signer of the settings, or None when no selector is set; a key that cannot be read or used stops the
        start here, not at the first mail."""
        selector, key_file, domain = selector.strip(), key_file.strip(), domain.strip().lower()
        if not selector:
            if key_file:
                log.warning("dkim key file set without a selector: mail is not signed")
            return None
        if not key_file:
            raise DkimKeyError("RELAIS_DKIM_SELECTOR is set but RELAIS_DKIM_KEY_FILE is empty: name the PEM private key file")
        if not domain:
            raise DkimKeyError("RELAIS_DKIM_SELECTOR is set but there is no domain to sign for: set RELAIS_DKIM_DOMAIN")
        try:
            selector.encode("ascii"), domain.encode("ascii")
        except UnicodeEncodeError:
            raise DkimKeyError("RELAIS_DKIM_SELECTOR and RELAIS_DKIM_DOMAIN must be ASCII (a domain in its xn-- form)") from None
        path = Path(key_file).expanduser()
        try:
            key = path.read_bytes()
        except OSError as exc:
            raise DkimKeyError(f"RELAIS_DKIM_KEY_FILE: cannot read {path}: {exc.strerror or type(exc).__name__}") from None
        signer = cls(selector, domain, key)
        try:
            signer._sign(_PROBE)
        except Exception:  # the library's message may quote the file: only say what it is not
            raise DkimKeyError(f"RELAIS_DKIM_KEY_FILE: {path} is not a PEM RSA private key "
                               "(make one with `openssl genrsa -out dkim.pem 2048`)") from None
        log.info("dkim signing on", extra={"selector": selector, "domain": domain})
        return signer

    def _sign(self, data: bytes) -> bytes:
        import dkim  # imported once signing is on (the start without it does not pay for it)

        linesep = b"\r\n" if b"\r\n" in data[:data.find(b"\n") + 1] else b"\n"
        message = dkim.DKIM(data, logger=_QUIET, linesep=linesep)
        headers = [name for name, _ in message.headers if name.lower() in _SIGNED]
        header = message.sign(self.selector, self.domain, self._key, canonicalize=(b"relaxed", b"relaxed"),
                              include_headers=headers)
        return header.replace(b"\r\n", linesep) if linesep != b"\r\n" else header

    def __call__(self, data: bytes) -> bytes:
        """`data` with its DKIM-Signature header in front; a mail that cannot be signed goes as it is (logged)."""
        try:
            return self._sign(data) + data
        except Exception as exc:  # a mail Relais made should always sign; if one does not, it still goes
            log.warning("mail not signed", extra={"error": type(exc).__name__})
            return data
