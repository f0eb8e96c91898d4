"""A real GNU Mailman 3 core for tests, started once per pytest session."""

from __future__ import annotations

import base64
import contextlib
import ctypes
import json
import os
import shutil
import signal
import smtplib
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.peers.smtp_sink import ReceivedMessage, SmtpSink, free_port

if TYPE_CHECKING:
    import mailmanclient

__all__ = ["MailmanServer", "install_mailman", "mailman"]

INSTALL_SCRIPT = Path(__file__).with_name("install_mailman.sh")
DEFAULT_DOMAIN = "lists.relais.test"

_CONFIG_TEMPLATE = """\
[mailman]
layout: relais
site_owner: postmaster@{mail_domain}

[paths.relais]
var_dir: {var_dir}

[database]
class: mailman.database.sqlite.SQLiteDatabase
url: sqlite:///$DATA_DIR/mailman.db

[mta]
# No MTA alias maps to maintain: tests talk LMTP to Mailman directly.
incoming: mailman.mta.null.NullMTA
lmtp_host: 127.0.0.1
lmtp_port: {lmtp_port}
smtp_host: {smtp_host}
smtp_port: {smtp_port}
smtp_secure_mode: smtp

[webservice]
hostname: 127.0.0.1
port: {rest_port}
admin_user: {rest_user}
admin_pass: {rest_password}
# One worker boots faster and is plenty for a test client.
workers: 1

[devmode]
# Devmode would rewrite every RCPT TO into [devmode]recipient (an empty address when
# unset), so it stays off and mail reaches the real member addresses in the sink.
enabled: no

# Queue runners poll their directories every sleep_time (default 1 s). A [runner.master]
# value would not reach the runners mailman.cfg already defines, so each is set here.
[runner.in]
sleep_time: 0.1s
[runner.pipeline]
sleep_time: 0.1s
[runner.out]
sleep_time: 0.1s
[runner.virgin]
sleep_time: 0.1s
[runner.command]
sleep_time: 0.1s
[runner.bounces]
sleep_time: 0.1s
[runner.archive]
sleep_time: 0.1s
[runner.digest]
sleep_time: 0.1s
# Mailman parks temporarily refused mail in the retry queue and moves it back to
# the out queue every retry sleep_time (default 15 min).
[runner.retry]
sleep_time: 1s
"""


def install_mailman(env: dict[str, str] | None = None) -> Path:
    """Run install_mailman.sh (a no-op when already installed) and return the venv path.

    Raises ``RuntimeError`` carrying the script's output when the install fails.
    """
    result = subprocess.run(
        ["bash", str(INSTALL_SCRIPT)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-60:])
        raise RuntimeError(f"{INSTALL_SCRIPT.name} failed with exit code {result.returncode}:\n{tail}")
    return Path(result.stdout.strip().splitlines()[-1])


# Resolved in the parent: loading a library in a child forked from a threaded
# process (the SMTP sink runs a thread) could deadlock on the loader's lock.
_PRCTL = getattr(ctypes.CDLL(None), "prctl", None)
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Runs in the forked child before exec: if pytest is killed outright, the
    # kernel sends SIGTERM to the master, which then stops its runners.
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


class MailmanServer:
    """One Mailman 3 core (master + runners + REST) in a private temp directory.

    Outgoing mail goes to ``smtp_host:smtp_port`` (normally an ``SmtpSink``);
    incoming mail is accepted over LMTP on ``127.0.0.1:lmtp_port``.
    """

    def __init__(
        self,
        venv: Path,
        smtp_port: int,
        *,
        smtp_host: str = "127.0.0.1",
        mail_domain: str = DEFAULT_DOMAIN,
        rest_user: str = "relais-rest",
        rest_password: str = "relais-rest-secret",
    ) -> None:
        self.venv = Path(venv)
        self.smtp_host = smtp_host
        self.smtp_port = smtp_port
        self.mail_domain = mail_domain
        self.rest_user = rest_user
        self.rest_password = rest_password
        self.lmtp_host = "127.0.0.1"
        self.lmtp_port = 0
        self.rest_port = 0
        self.workdir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def rest_url(self) -> str:
        """Base URL of the REST API, version included, as mailmanclient.Client wants it."""
        return f"http://127.0.0.1:{self.rest_port}/3.1"

    @property
    def var_dir(self) -> Path:
        assert self.workdir is not None, "server not started"
        return self.workdir / "var"

    @property
    def config_path(self) -> Path:
        assert self.workdir is not None, "server not started"
        return self.workdir / "mailman.cfg"

    def start(self, timeout: float = 60.0) -> MailmanServer:
        self.workdir = Path(tempfile.mkdtemp(prefix="relais-mailman-"))
        self.var_dir.mkdir()
        self.rest_port = free_port()
        self.lmtp_port = free_port()
        while self.lmtp_port == self.rest_port:
            self.lmtp_port = free_port()
        self.config_path.write_text(
            _CONFIG_TEMPLATE.format(
                mail_domain=self.mail_domain,
                var_dir=self.var_dir,
                lmtp_port=self.lmtp_port,
                smtp_host=self.smtp_host,
                smtp_port=self.smtp_port,
                rest_port=self.rest_port,
                rest_user=self.rest_user,
                rest_password=self.rest_password,
            )
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MAILMAN_", "PYTHON", "VIRTUAL_ENV"))}
        # `mailman start` would set this before exec'ing the master; we run the master
        # ourselves, in the foreground of its own process group, so it can be killed reliably.
        env["MAILMAN_VAR_DIR"] = str(self.var_dir)
        env["MAILMAN_CONFIG_FILE"] = str(self.config_path)
        with open(self.workdir / "master.out", "wb") as out:
            self._process = subprocess.Popen(
                [str(self.venv / "bin" / "master"), "-C", str(self.config_path), "--force"],
                cwd=self.var_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        try:
            self._wait_for_rest(timeout)
            self._ensure_domain()
            self._wait_for_lmtp(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, keep_files: bool = False) -> None:
        """Stop the master (it stops its runners), then kill whatever is left of its group."""
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                # SIGTERM is what `mailman stop` sends; the runners exit within their
                # sleep_time, but gunicorn lingers ~2 s more, and the whole state is
                # thrown away anyway, so the group is killed after a short grace.
                process.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=1.0)
            self._kill_group(process.pid)
            if process.poll() is None:
                process.wait(timeout=5)
        if self.workdir is not None and not keep_files:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> MailmanServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def client(self) -> mailmanclient.Client:
        """A synchronous mailmanclient.Client authenticated as the REST admin."""
        import mailmanclient

        return mailmanclient.Client(self.rest_url, self.rest_user, self.rest_password)

    def rest(self, method: str, path: str, data: dict[str, Any] | None = None) -> tuple[int, Any]:
        """Call the REST API directly; returns (status, decoded JSON or None)."""
        url = path if path.startswith("http") else f"{self.rest_url}/{path.lstrip('/')}"
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        token = base64.b64encode(f"{self.rest_user}:{self.rest_password}".encode()).decode()
        request = urllib.request.Request(url, data=body, method=method, headers={"Authorization": f"Basic {token}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                payload = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            payload = error.read()
            status = error.code
        if not payload:
            return status, None
        try:
            return status, json.loads(payload)
        except ValueError:
            return status, payload.decode(errors="replace")

    def deliver_lmtp(
        self,
        message: EmailMessage | bytes,
        *,
        mail_from: str,
        rcpt_tos: Iterable[str],
    ) -> dict[str, tuple[int, bytes]]:
        """Hand a message to Mailman over LMTP, as an MTA would; returns refused recipients."""
        with smtplib.LMTP(self.lmtp_host, self.lmtp_port, timeout=10) as lmtp:
            if isinstance(message, EmailMessage):
                return lmtp.send_message(message, from_addr=mail_from, to_addrs=list(rcpt_tos))
            return lmtp.sendmail(mail_from, list(rcpt_tos), message)

    def wait_for_delivery(
        self,
        sink: SmtpSink,
        predicate: Callable[[ReceivedMessage], bool] | None = None,
        count: int = 1,
        timeout: float = 15.0,
        recipients: Iterable[str] = (),
    ) -> list[ReceivedMessage]:
        """Like ``sink.wait_for`` but a timeout fails with Mailman's own logs attached."""
        try:
            return sink.wait_for(count=count, timeout=timeout, predicate=predicate, recipients=recipients)
        except TimeoutError as error:
            raise AssertionError(f"{error}\n\n{self.log_tail()}") from None

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of Mailman's logs and master output, for failure messages."""
        if self.workdir is None:
            return "(Mailman is not running)"
        sections = []
        for path in [self.workdir / "master.out", *sorted((self.var_dir / "logs").glob("*.log"))]:
            if path.is_file() and path.stat().st_size:
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                sections.append(f"---- {path.name} ----\n" + "\n".join(tail))
        queued = sorted(f"{p.parent.name}/{p.name}" for p in (self.var_dir / "queue").glob("*/*") if p.is_file())
        if queued:
            sections.append("---- queued files ----\n" + "\n".join(queued))
        return "\n".join(sections) or "(no Mailman logs)"

    def _wait_for_rest(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"Mailman master exited with code {self._process.returncode}\n{self.log_tail()}")
            try:
                status, _ = self.rest("GET", "system/versions")
                if status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"Mailman REST API did not answer within {timeout}s\n{self.log_tail()}")
            time.sleep(0.1)

    def _wait_for_lmtp(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with smtplib.LMTP(self.lmtp_host, self.lmtp_port, timeout=5) as lmtp:
                    lmtp.noop()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"Mailman LMTP runner did not listen within {timeout}s\n{self.log_tail()}"
                    ) from None
                time.sleep(0.1)

    def _ensure_domain(self) -> None:
        status, _ = self.rest("GET", f"domains/{self.mail_domain}")
        if status == 200:
            return
        status, body = self.rest("POST", "domains", {"mail_host": self.mail_domain})
        if status != 201:
            raise RuntimeError(f"creating domain {self.mail_domain} failed: HTTP {status} {body}")

    @staticmethod
    def _kill_group(pgid: int) -> None:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return


@pytest.fixture(scope="session")
def mailman(smtp_sink: SmtpSink) -> Iterator[MailmanServer]:
    """One Mailman 3 core for the whole session, delivering outgoing mail to ``smtp_sink``."""
    # pytest.fail is called outside the except blocks so the report shows the cause once.
    problem = None
    try:
        venv = install_mailman()
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        problem = f"could not install Mailman 3 core for the test peers:\n{error}"
    if problem:
        pytest.fail(problem, pytrace=False)
    server = MailmanServer(venv, smtp_port=smtp_sink.port, smtp_host=smtp_sink.host)
    try:
        server.start()
    except RuntimeError as error:
        problem = f"could not start Mailman 3 core:\n{error}"
    if problem:
        pytest.fail(problem, pytrace=False)
    try:
        yield server
    finally:
        server.stop()
