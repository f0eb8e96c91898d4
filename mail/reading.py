"""Reads a received mail: decoded headers, the text body (HTML converted), quotes and signature stripped."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

from bot.core.numbers import clean

_SURROGATES = re.compile("[\udc80-\udcff]")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # NUL and friends: PostgreSQL text refuses NUL
_REPLY_PARSER = EmailReplyParser(languages=["en", "fr"])
_SIGNATURE = re.compile(r"^(--|-- |__+|—)$")
# Where a client puts the mail being answered below the answer: Outlook's separator lines (en, fr) and its header
# block ("De : …" then "Envoyé : …"), which the reply parser misses when the colon follows a no-break space.
_SEPARATOR = re.compile(r"^-{3,}\s*(original message|message d['’]origine)\s*-{3,}$", re.IGNORECASE)
_HEADER_FIRST = re.compile(r"^\*?(from|de)\s?:", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^\*?(sent|date|to|subject|cc|envoy[ée]|[àa]|objet)\s?:", re.IGNORECASE)
_NO_BREAK = str.maketrans({"\xa0": " ", "\u202f": " "})
_IDS = re.compile(r"<[^<>\s]+>")


@dataclass
class ReadMail:
    sender: str = ""  # the From address, lower-cased
    display_name: str = ""
    subject: str = ""
    text: str = ""  # what the person wrote: no quoted mail, no signature
    message_id: str = ""
    references: list[str] = field(default_factory=list)  # References then In-Reply-To, oldest first
    auto_submitted: str = ""
    precedence: str = ""
    list_id: str = ""
    language: str = ""
    html_only: bool = False
    date: datetime | None = None
    headers: dict[str, str] = field(default_factory=dict)  # the other loop-relevant headers, lower-cased names
    files: list[tuple[str, bytes]] = field(default_factory=list)  # attachments and inline images: (name, bytes)


def parse(raw: bytes) -> Message:
    """The message object; malformed MIME is read as well as it can be, never raises."""
    return message_from_bytes(raw, policy=policy.default)


def decode_8bit(data: bytes) -> str:
    """Bytes of an unknown charset: UTF-8 when most of their high bytes form UTF-8 sequences (a stray invalid byte
    becomes "�" rather than turning "été" into "Ã©tÃ©"), else Windows-1252 (Latin-1 and Outlook's superset)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    valid = sum(1 for c in text if c > "\x7f" and c != "\ufffd")
    return text if valid > text.count("\ufffd") else data.decode("cp1252", errors="replace")


def fix_text(value: str) -> str:
    """Undo undeclared 8-bit bytes the parser kept as surrogates (see decode_8bit)."""
    if not _SURROGATES.search(value):
        return value
    return decode_8bit(value.encode("utf-8", "surrogateescape"))


def header(msg: Message, name: str) -> str:
    """A header decoded (RFC 2047 encoded words and raw 8-bit), "" when absent or unreadable."""
    raw = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), None)
    if raw is None:
        return ""
    if _SURROGATES.search(raw):  # undeclared 8-bit bytes: the parser would turn them into "�"
        return " ".join(_CONTROLS.sub("", fix_text(raw)).split())
    try:
        value = str(msg.get(name))
    except Exception:  # a header the parser cannot make sense of: its raw text
        value = raw
    return " ".join(_CONTROLS.sub("", value).split())


def decode_part(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        text = part.get_payload()
        return fix_text(text) if isinstance(text, str) else ""
    charset = part.get_content_charset()
    if charset:
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_8bit(payload)


class _HtmlText(HTMLParser):
    """HTML to plain text: blocks become lines, quoted blocks get "> " so they are stripped like quotes."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "pre", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.skip = 0
        self.quote = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head", "title"):
            self.skip += 1
        elif tag == "blockquote":
            self.quote += 1
            self._newline()
        elif tag in self.BLOCKS:
            self._newline()
        if tag == "li":
            self.lines[-1] += "• "

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
            self._newline()
        elif tag in self.BLOCKS:
            self._newline()

    def handle_startendtag(self, tag, attrs):
        if tag in ("br", "hr"):
            self._newline()

    def handle_data(self, data):
        if self.skip:
            return
        text = " ".join(data.split())
        if not text:
            if data and self.lines[-1] and not self.lines[-1].endswith(" "):
                self.lines[-1] += " "
            return
        if not self.lines[-1] and self.quote:
            self.lines[-1] = "> " * self.quote
        self.lines[-1] += text if not data[:1].isspace() or not self.lines[-1] else " " + text

    def _newline(self):
        if self.lines[-1].strip():
            self.lines.append("")


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # broken HTML: keep what was read
        pass
    return "\n".join(line.strip() for line in parser.lines).strip()


def body_text(msg: Message) -> tuple[str, bool]:
    """The text of the mail and whether it came from HTML only; attachments are ignored."""
    plain = html = None
    parts = msg.walk() if msg.is_multipart() else [msg]
    for part in parts:
        if part.is_multipart():
            continue
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        if disposition == "attachment":
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain" and plain is None:
            plain = decode_part(part)
        elif ctype == "text/html" and html is None:
            html = decode_part(part)
    if plain is not None:
        return plain, False
    if html is not None:
        return html_to_text(html), True
    return "", False


MAX_FILES = 10  # a mail's files taken along with its commands; the core refuses more than a command accepts


def attached_files(msg: Message) -> list[tuple[str, bytes]]:
    """The files of a mail (attachments, and images a phone puts inline), with the name the sender gave each."""
    files: list[tuple[str, bytes]] = []
    for part in msg.walk() if msg.is_multipart() else []:
        if part.is_multipart() or part.get_content_maintype() == "message":
            continue
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        name = part.get_filename() or ""
        if disposition != "attachment" and not name and part.get_content_maintype() == "text":
            continue  # the body itself
        data = part.get_payload(decode=True)
        if isinstance(data, bytes) and data:
            files.append((fix_text(name) or "file", data))
        if len(files) >= MAX_FILES:
            break
    return files


def strip_reply(text: str) -> str:
    """Only what the person wrote on top: quoted mails, "wrote:" lines, Outlook's separators and header blocks, and
    signatures removed (en, fr)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_NO_BREAK)
    try:
        replies = _REPLY_PARSER.read(text).replies
        latest = replies[0].body if replies else text
    except Exception:  # the parser's regular expressions on odd input: fall back to the line rules
        latest = text
    kept: list[str] = []
    lines = latest.split("\n")
    for index, line in enumerate(lines):
        if _SIGNATURE.match(line.strip()) or _SEPARATOR.match(line.strip()):
            break
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if _HEADER_FIRST.match(line.strip()) and _HEADER_NEXT.match(following):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def read(raw: bytes) -> ReadMail:
    msg = parse(raw)
    out = ReadMail()
    names = getaddresses([header(msg, "From")])
    if names and "@" in names[0][1]:
        out.display_name, out.sender = names[0][0].strip(), names[0][1].strip().lower()
    out.subject = header(msg, "Subject")
    out.message_id = (_IDS.findall(header(msg, "Message-ID")) or [""])[0]
    refs = _IDS.findall(header(msg, "References")) + _IDS.findall(header(msg, "In-Reply-To"))
    out.references = list(dict.fromkeys(refs))
    out.auto_submitted = header(msg, "Auto-Submitted").split(";")[0].strip().lower()
    out.precedence = header(msg, "Precedence").strip().lower()
    out.list_id = (re.findall(r"<([^<>]+)>", header(msg, "List-Id")) or [header(msg, "List-Id")])[0].strip().lower()
    out.language = header(msg, "Content-Language").split(",")[0].strip()
    for name in ("X-Autoreply", "X-Autorespond", "X-Loop", "Archived-At"):
        value = header(msg, name)
        if value:
            out.headers[name.lower()] = value
    try:
        out.date = parsedate_to_datetime(header(msg, "Date")) if header(msg, "Date") else None
    except (TypeError, ValueError):
        out.date = None
    try:
        text, out.html_only = body_text(msg)
    except Exception:  # a MIME structure too broken to walk: read the body as text
        text = fix_text(raw.split(b"\n\n", 1)[-1].decode("utf-8", "surrogateescape"))
    out.text = strip_reply(clean(_CONTROLS.sub("", text)))
    try:
        out.files = attached_files(msg)
    except Exception:  # a part too broken to decode: the commands are still read
        out.files = []
    # What a mail says is stored (list posts, comments, the sender's name): no control character goes on.
    out.subject, out.display_name, out.sender = clean(out.subject), clean(out.display_name), clean(out.sender)
    out.headers = {k: clean(v) for k, v in out.headers.items()}
    out.message_id, out.references = clean(out.message_id), [clean(r) for r in out.references]
    return out
