"""docker-compose.yml: valid Compose, a default stack that starts from .env.example alone, opt-in profiles."""

import os
import re
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML  # comes with check-jsonschema

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
DEFAULT_STACK = {"relais", "postgres", "smtp"}
PROFILES = {"matrix": {"synapse"}, "lists": {"mailman-core", "mailman-postgres"}}
SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|API_KEY")
INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*)|(?P<invalid>))"
)


def load(path: Path = COMPOSE) -> dict:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def services() -> dict:
    return load()["services"]


def profiles(service: dict) -> set[str]:
    return set(service.get("profiles") or ())


def by_profile() -> dict[str | None, set[str]]:
    """Service names by profile; None holds the services without one (the default stack)."""
    found: dict[str | None, set[str]] = {}
    for name, service in services().items():
        for profile in profiles(service) or {None}:
            found.setdefault(profile, set()).add(name)
    return found


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def dependencies(service: dict) -> set[str]:
    return set(service.get("depends_on") or ())  # a list, or a mapping keyed by service


def check_schema(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)],
                          capture_output=True, text=True)


def interpolate(value, variables: dict[str, str]):
    """Compose's variable interpolation (`$$`, `$X`, `${X}`, `${X:-d}`, `${X-d}`, `${X:?e}`, `${X?e}`, `${X:+a}`, `${X+a}`)."""
    if isinstance(value, dict):
        return {key: interpolate(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, variables) for item in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        if match["invalid"] is not None:
            raise ValueError(f"invalid interpolation in {value!r}")
        name = match["braced"] or match["named"]
        op, arg = match["op"], match["arg"] or ""
        present, text = name in variables, variables.get(name, "")
        filled = bool(text) if op and op.startswith(":") else present
        if op in (":-", "-"):
            return text if filled else arg
        if op in (":?", "?"):
            if not filled:
                raise ValueError(f"required variable {name} is missing a value: {arg}")
            return text
        if op in (":+", "+"):
            return arg if filled else ""
        return text

    return INTERPOLATION.sub(one, value)


def env_example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def readme_services(readme: str) -> dict[str | None, set[str]]:
    """The README's "Services in `docker-compose.yml`: `a`, `b` by default; `c` with the profile `p`; ..." sentence."""
    sentence = re.search(r"Services in `docker-compose\.yml`: (.+?)\.(?:\s|$)", readme, flags=re.S)
    assert sentence, "the README no longer lists the compose services"
    documented: dict[str | None, set[str]] = {}
    for clause in sentence.group(1).split(";"):
        clause = " ".join(clause.split())
        names = re.findall(r"`([a-z0-9_-]+)`", clause)
        if clause.endswith("by default"):
            documented[None] = set(names)
        else:
            assert re.search(r"with the profile `[a-z0-9_-]+`$", clause), f"unexpected clause: {clause!r}"
            documented[names[-1]] = set(names[:-1])
    return documented


def test_compose_file_follows_the_compose_specification():
    """docker-compose.yml validates against the Compose Specification schema bundled with check-jsonschema."""
    result = check_schema(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_compose_file(tmp_path):
    """The schema check fails on a misspelt key, so the check above can fail."""
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text(encoding="utf-8").replace("    depends_on:\n", "    depends-on:\n", 1),
                      encoding="utf-8")
    result = check_schema(broken)
    assert result.returncode != 0 and "depends-on" in result.stdout + result.stderr


def test_default_stack_is_relais_postgres_and_smtp():
    """Services without a profile are exactly relais, postgres and smtp; Synapse and Mailman are opt-in profiles."""
    assert by_profile() == {None: DEFAULT_STACK, **PROFILES}


def test_services_depend_only_on_services_started_with_them():
    """No service depends on one that its own profiles do not start (Compose refuses to run such a stack)."""
    all_services = services()
    for name, service in all_services.items():
        for dependency in dependencies(service):
            needed = profiles(all_services[dependency])
            mine = profiles(service)
            assert not needed or (mine and mine <= needed), f"{name} depends on {dependency} of profile {needed}"


def test_default_stack_interpolates_with_env_example_alone():
    """Compose interpolates every service, profiled or not, without a required variable when .env is .env.example."""
    required = re.compile(r"\$\{[A-Za-z0-9_]+:?\?")
    for name, service in services().items():
        assert not required.search(repr(service)), f"{name}: a required ${{X:?...}} stops even the default stack"
    resolved = interpolate(load(), env_example())
    relais = environment(resolved["services"]["relais"])
    assert relais["RELAIS_DATABASE_URL"] == "postgres://relais:relais@postgres:5432/relais"
    assert relais["RELAIS_SMTP_URL"] == "smtp://smtp:587"


def test_mailman_core_refuses_to_start_without_a_password(tmp_path):
    """mailman-core's entrypoint exits with a message when RELAIS_MAILMAN_PASSWORD is empty, and runs the image's otherwise."""
    stub = tmp_path / "docker-entrypoint.sh"  # stands for the image's entrypoint
    stub.write_text('#!/bin/sh\necho "image entrypoint: $*"\n')
    stub.chmod(0o755)
    for password, code in (("", 1), ("s3cret", 0)):
        mailman = interpolate(load(), {**env_example(), "RELAIS_MAILMAN_PASSWORD": password})["services"]["mailman-core"]
        env = {**environment(mailman), "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
        run = subprocess.run(mailman["entrypoint"] + mailman["command"], env=env, capture_output=True, text=True)
        assert run.returncode == code, run.stderr
        if code:
            assert "RELAIS_MAILMAN_PASSWORD" in run.stderr and not run.stdout
        else:
            assert run.stdout == "image entrypoint: master --force\n"  # the image's CMD


def test_no_secret_is_written_in_the_compose_file():
    """Secrets come from .env: secret-named variables are interpolated, and Relais' own secrets come from env_file."""
    text = COMPOSE.read_text(encoding="utf-8")
    for name, value in re.findall(r"([A-Z_]*(?:TOKEN|PASSWORD|SECRET_KEY|API_KEY))=(\S*)", text):
        assert value.startswith("<"), f"{name}={value}: only placeholders like <password> may follow '='"
    for name, service in services().items():
        for key, value in environment(service).items():
            if SECRET_NAME.search(key):
                assert re.fullmatch(r"\$\{[A-Za-z0-9_]+(:?-[^}]*)?\}", value), f"{name}: {key} is not read from .env"
                assert not key.startswith("RELAIS_"), f"{name}: {key} belongs in .env"
            for password in re.findall(r"://[^/:@\s]+:([^@\s]+)@", value):
                assert re.fullmatch(r"\$\{[A-Za-z0-9_]+(:?-[^}]*)?\}", password), f"{name}: {key} writes a password"
    assert {"path": ".env", "required": False} in services()["relais"]["env_file"]


def test_published_ports_are_bound_to_localhost():
    """Every published port listens on 127.0.0.1 only; other hosts are let in by an override file."""
    published = set()
    for name, service in services().items():
        for port in service.get("ports") or ():
            if isinstance(port, dict):  # long syntax
                assert port.get("host_ip") == "127.0.0.1", f"{name}: {port}"
                port = f"127.0.0.1:{port.get('published')}:{port['target']}"
            assert re.fullmatch(r"127\.0\.0\.1:[0-9-]+:[0-9-]+(/[a-z]+)?", str(port)), f"{name}: {port}"
            published.add(f"{name} {port}")
    assert {"relais 127.0.0.1:2525:2525", "relais 127.0.0.1:8080:8080", "mailman-core 127.0.0.1:8024:8024"} <= published


def test_matrix_and_mailman_are_turned_on_by_env_lines_the_comments_give():
    """Relais' environment leaves Matrix and Mailman to .env, and the comments give the .env lines for each profile."""
    all_services = services()
    relais = environment(all_services["relais"])
    for key in ("RELAIS_MATRIX_HOMESERVER", "RELAIS_MATRIX_USER_ID", "RELAIS_MAILMAN_URL", "RELAIS_MAILMAN_LMTP"):
        assert key not in relais, f"{key} is set in the relais service: the default stack has no such service"
    comments = "\n".join(line for line in COMPOSE.read_text(encoding="utf-8").splitlines() if line.lstrip().startswith("#"))
    for line, host, profile in (("RELAIS_MATRIX_HOMESERVER=http://synapse:8008", "synapse", "matrix"),
                                ("RELAIS_MAILMAN_URL=http://mailman-core:8001/3.1", "mailman-core", "lists"),
                                ("RELAIS_MAILMAN_LMTP=mailman-core:8024", "mailman-core", "lists")):
        assert line in comments
        assert profile in profiles(all_services[host])


def test_relais_keeps_its_data_in_the_data_volume():
    """RELAIS_DATA_DIR is /data in the relais service and the image, and /data is a named volume."""
    compose = load()
    relais = compose["services"]["relais"]
    assert environment(relais)["RELAIS_DATA_DIR"] == "/data"  # wins over RELAIS_DATA_DIR=data from .env.example
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in relais["volumes"]}
    assert mounts.get("/data") in compose["volumes"]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "ENV RELAIS_DATA_DIR=/data" in dockerfile and "VOLUME /data" in dockerfile


def test_compose_runs_the_services_the_readme_documents():
    """The README's list of compose services, by profile, matches docker-compose.yml."""
    assert readme_services((ROOT / "README.md").read_text(encoding="utf-8")) == by_profile()
