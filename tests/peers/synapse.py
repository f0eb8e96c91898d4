"""A real Synapse homeserver run as a subprocess, shared by one pytest session."""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import hmac
import itertools
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Iterator, NamedTuple

import pytest

PEERS_SRC_DIR = Path(__file__).resolve().parent
INSTALL_SCRIPT = PEERS_SRC_DIR / "install_synapse.sh"

SERVER_NAME = "relais.test"
ADMIN_LOCALPART = "relais-admin"

# Generous enough that no test trips a limiter by accident; a test that wants a
# 429 sets a per-user override through the admin API instead.
_UNLIMITED = {"per_second": 10000, "burst_count": 100000}

_START_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 10.0


def peers_dir() -> Path:
    """Directory holding the peer servers' virtualenvs, shared across checkouts."""
    default = Path.home() / ".cache" / "relais-peers"
    return Path(os.environ.get("RELAIS_PEERS_DIR", str(default)))


def synapse_venv() -> Path:
    return peers_dir() / "synapse-venv"


class SynapseError(RuntimeError):
    """Synapse could not be installed, started, or answered an admin call badly."""


class HttpError(SynapseError):
    """A non-2xx answer from Synapse, with the Matrix error body when there is one."""

    def __init__(self, method: str, url: str, status: int, body: dict[str, Any]):
        self.status = status
        self.body = body
        self.errcode = body.get("errcode")
        super().__init__(f"{method} {url} -> HTTP {status}: {body}")


class RegisteredUser(NamedTuple):
    user_id: str
    access_token: str
    device_id: str


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 40, skip: str | None = None) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"<{path} unreadable>"
    kept = [line for line in text.splitlines() if not (skip and skip in line)]
    return "\n".join(kept[-lines:])


def _yaml(value: Any) -> str:
    # JSON is a subset of YAML, so the config is written without a YAML library
    # in the project venv.
    return json.dumps(value, indent=2, sort_keys=False)


class SynapseServer:
    """One Synapse process listening for clients on 127.0.0.1, federation off."""

    def __init__(
        self,
        workdir: Path,
        venv: Path | None = None,
        server_name: str = SERVER_NAME,
    ):
        self.workdir = Path(workdir)
        self.venv = Path(venv) if venv is not None else synapse_venv()
        self.server_name = server_name
        self.port = 0
        self.registration_shared_secret = secrets.token_hex(32)
        self.admin: RegisteredUser | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._counter = itertools.count(1)

    # -- paths --------------------------------------------------------------

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def config_path(self) -> Path:
        return self.workdir / "homeserver.yaml"

    @property
    def log_path(self) -> Path:
        return self.workdir / "homeserver.log"

    @property
    def console_path(self) -> Path:
        return self.workdir / "console.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- config -------------------------------------------------------------

    def _write_log_config(self) -> Path:
        path = self.workdir / "log.config"
        config = {
            "version": 1,
            "formatters": {
                "precise": {
                    "format": "%(asctime)s - %(name)s - %(lineno)d - "
                    "%(levelname)s - %(request)s - %(message)s"
                }
            },
            "handlers": {
                "file": {
                    "class": "logging.FileHandler",
                    "formatter": "precise",
                    "filename": str(self.log_path),
                    "encoding": "utf8",
                }
            },
            "loggers": {"synapse.storage.SQL": {"level": "WARNING"}},
            "root": {"level": "WARNING", "handlers": ["file"]},
            "disable_existing_loggers": False,
        }
        path.write_text(_yaml(config) + "\n")
        return path

    def _config(self, log_config: Path, signing_key: Path) -> dict[str, Any]:
        rate_limits: dict[str, Any] = {
            "rc_message": _UNLIMITED,
            "rc_registration": _UNLIMITED,
            "rc_registration_token_validity": _UNLIMITED,
            "rc_login": {
                "address": _UNLIMITED,
                "account": _UNLIMITED,
                "failed_attempts": _UNLIMITED,
            },
            "rc_admin_redaction": _UNLIMITED,
            "rc_joins": {"local": _UNLIMITED, "remote": _UNLIMITED},
            "rc_joins_per_room": _UNLIMITED,
            "rc_3pid_validation": _UNLIMITED,
            "rc_invites": {
                "per_room": _UNLIMITED,
                "per_user": _UNLIMITED,
                "per_issuer": _UNLIMITED,
            },
            "rc_third_party_invite": _UNLIMITED,
            "rc_media_create": _UNLIMITED,
            "rc_presence": {"per_user": _UNLIMITED},
            "rc_delayed_event_mgmt": _UNLIMITED,
            # Defaults to one room a minute after a burst of 10: too few for a suite.
            "rc_room_creation": _UNLIMITED,
            "rc_reports": _UNLIMITED,
            "rc_user_directory": _UNLIMITED,
            "rc_profile": _UNLIMITED,
            "rc_key_requests": _UNLIMITED,
        }
        return {
            "server_name": self.server_name,
            "public_baseurl": self.base_url + "/",
            "pid_file": str(self.workdir / "homeserver.pid"),
            "report_stats": False,
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {
                "name": "sqlite3",
                "args": {"database": str(self.workdir / "homeserver.db")},
            },
            "log_config": str(log_config),
            "media_store_path": str(self.workdir / "media_store"),
            "signing_key_path": str(signing_key),
            "registration_shared_secret": self.registration_shared_secret,
            "macaroon_secret_key": secrets.token_hex(32),
            "form_secret": secrets.token_hex(32),
            "enable_registration": False,
            # An empty whitelist refuses every remote server; together with no
            # federation listener and no key servers nothing leaves the machine.
            "federation_domain_whitelist": [],
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "presence": {"enabled": False},
            "url_preview_enabled": False,
            "enable_metrics": False,
            **rate_limits,
        }

    def _generate_signing_key(self) -> Path:
        path = self.workdir / f"{self.server_name}.signing.key"
        if path.exists():
            return path
        result = subprocess.run(
            [str(self.python), "-m", "synapse._scripts.generate_signing_key", "-o", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            raise SynapseError(
                f"generate_signing_key failed ({result.returncode}):\n{result.stderr}"
            )
        return path

    def write_config(self) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        signing_key = self._generate_signing_key()
        log_config = self._write_log_config()
        self.config_path.write_text(_yaml(self._config(log_config, signing_key)) + "\n")
        return self.config_path

    # -- process ------------------------------------------------------------

    def start(self, attempts: int = 3) -> None:
        """Start Synapse on a free port and register the admin user."""
        if not self.python.exists():
            raise SynapseError(f"no Synapse virtualenv at {self.venv}: run {INSTALL_SCRIPT}")
        last_error: SynapseError | None = None
        # The free port is only probed, so another process may grab it before
        # Synapse binds; a fresh port on the next attempt covers that race.
        for _ in range(attempts):
            self.port = _free_port()
            self.write_config()
            try:
                self._spawn_and_wait()
                break
            except SynapseError as exc:
                last_error = exc
                self.stop()
        else:
            assert last_error is not None
            raise last_error
        self.admin = self.register_sync(ADMIN_LOCALPART, secrets.token_hex(16), admin=True)

    def _spawn_and_wait(self) -> None:
        console = open(self.console_path, "ab")
        try:
            self._process = subprocess.Popen(
                [str(self.python), "-m", "synapse.app.homeserver", "-c", str(self.config_path)],
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
            )
        finally:
            console.close()
        atexit.register(self.stop)
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SynapseError(
                    f"Synapse exited with {self._process.returncode} during startup\n"
                    f"--- {self.console_path} ---\n{_tail(self.console_path)}\n"
                    f"--- {self.log_path} ---\n{_tail(self.log_path)}"
                )
            try:
                with urllib.request.urlopen(
                    self.base_url + "/_matrix/client/versions", timeout=2
                ) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        raise SynapseError(
            f"Synapse did not answer /_matrix/client/versions within {_START_TIMEOUT_S}s\n"
            f"--- {self.log_path} ---\n{_tail(self.log_path)}"
        )

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if Synapse has not exited within a few seconds."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=_STOP_TIMEOUT_S)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # -- HTTP ---------------------------------------------------------------

    def request_sync(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        access_token: str | None = None,
    ) -> dict[str, Any]:
        """One JSON request to Synapse; raises HttpError on a non-2xx answer."""
        url = self.base_url + path
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        if access_token:
            headers["Authorization"] = f"Bearer {access_token}"
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                err_body = json.loads(raw) if raw else {}
            except ValueError:
                err_body = {"raw": raw.decode(errors="replace")}
            raise HttpError(method, url, exc.code, err_body) from None
        return json.loads(raw) if raw else {}

    async def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        access_token: str | None = None,
    ) -> dict[str, Any]:
        # urllib in a worker thread keeps the helpers independent of whichever
        # event loop the calling test runs on.
        return await asyncio.to_thread(self.request_sync, method, path, body, access_token)

    # -- users --------------------------------------------------------------

    def fresh_localpart(self, prefix: str = "user") -> str:
        """A localpart not used before in this session: the server is shared by all tests."""
        return f"{prefix}-{next(self._counter)}-{secrets.token_hex(3)}"

    def user_id(self, localpart: str) -> str:
        return f"@{localpart}:{self.server_name}"

    def register_sync(self, localpart: str, password: str, admin: bool = False) -> RegisteredUser:
        """Create a user through the shared-secret registration admin API."""
        path = "/_synapse/admin/v1/register"
        nonce = self.request_sync("GET", path)["nonce"]
        mac = hmac.new(self.registration_shared_secret.encode(), digestmod=hashlib.sha1)
        for part in (nonce, localpart, password):
            mac.update(part.encode())
            mac.update(b"\x00")
        mac.update(b"admin" if admin else b"notadmin")
        body = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": mac.hexdigest(),
        }
        resp = self.request_sync("POST", path, body)
        return RegisteredUser(resp["user_id"], resp["access_token"], resp["device_id"])

    async def register(self, localpart: str, password: str, admin: bool = False) -> RegisteredUser:
        return await asyncio.to_thread(self.register_sync, localpart, password, admin)

    def login_sync(self, user: str, password: str, device_id: str | None = None) -> RegisteredUser:
        """Password login; `user` is a localpart or a full user id. Each call is a new device."""
        body: dict[str, Any] = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user},
            "password": password,
        }
        if device_id:
            body["device_id"] = device_id
        resp = self.request_sync("POST", "/_matrix/client/v3/login", body)
        return RegisteredUser(resp["user_id"], resp["access_token"], resp["device_id"])

    async def login(self, user: str, password: str, device_id: str | None = None) -> RegisteredUser:
        return await asyncio.to_thread(self.login_sync, user, password, device_id)

    # -- per-user rate limits -------------------------------------------------

    def _admin_token(self) -> str:
        if self.admin is None:
            raise SynapseError("Synapse not started: no admin user yet")
        return self.admin.access_token

    def _ratelimit_path(self, user_id: str) -> str:
        return f"/_synapse/admin/v1/users/{urllib.parse.quote(user_id)}/override_ratelimit"

    def set_ratelimit_sync(
        self, user_id: str, messages_per_second: int, burst_count: int
    ) -> dict[str, Any]:
        """Override the message rate limit of one user.

        Synapse accepts only integers here, and messages_per_second=0 means
        "never rate limited" (for every limiter, not just messages), so the
        tightest real limit is 1 message/s with a burst of 1.
        """
        body = {"messages_per_second": messages_per_second, "burst_count": burst_count}
        return self.request_sync("POST", self._ratelimit_path(user_id), body, self._admin_token())

    async def set_ratelimit(
        self, user_id: str, messages_per_second: int, burst_count: int
    ) -> dict[str, Any]:
        return await asyncio.to_thread(
            self.set_ratelimit_sync, user_id, messages_per_second, burst_count
        )

    def get_ratelimit_sync(self, user_id: str) -> dict[str, Any]:
        """The override in force for a user, or {} when there is none."""
        return self.request_sync("GET", self._ratelimit_path(user_id), None, self._admin_token())

    async def get_ratelimit(self, user_id: str) -> dict[str, Any]:
        return await asyncio.to_thread(self.get_ratelimit_sync, user_id)

    def clear_ratelimit_sync(self, user_id: str) -> None:
        """Drop a user's override, back to the server-wide (very high) limits."""
        self.request_sync("DELETE", self._ratelimit_path(user_id), None, self._admin_token())

    async def clear_ratelimit(self, user_id: str) -> None:
        await asyncio.to_thread(self.clear_ratelimit_sync, user_id)


def install_synapse() -> None:
    """Run install_synapse.sh; fail the test session with the log tail if it fails."""
    log_path = peers_dir() / "install-synapse.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        result = subprocess.run(
            ["bash", str(INSTALL_SCRIPT)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=900,
        )
    if result.returncode != 0:
        pytest.fail(
            f"installing Synapse failed (exit {result.returncode}); "
            # pip warns once per package about configured local indexes that
            # are absent; those lines would push the real error out of the tail.
            f"last lines of {log_path}:\n{_tail(log_path, skip='is ignored: it is neither')}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynapseServer]:
    """One Synapse for the whole session, installed on first use."""
    # The script's fast path is a version check well under a second, and it
    # also repairs a venv holding another version or left half-installed.
    install_synapse()
    server = SynapseServer(tmp_path_factory.mktemp("synapse"))
    try:
        server.start()
    except SynapseError as exc:
        server.stop()
        pytest.fail(f"starting Synapse failed: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()
