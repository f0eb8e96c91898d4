"""The `relais` command as operators and scripts use it: real processes, signals and a kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import cli_zygote

ROOT = Path(__file__).resolve().parent.parent


def env_for(tmp_path: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    # The scheduler's jobs follow the real clock (a Monday after 09:00 pushes the agenda): off unless a test asks.
    env.update({"RELAIS_DATA_DIR": str(tmp_path), "RELAIS_LOG_FORMAT": "json", "RELAIS_LOG_LEVEL": "INFO",
                "RELAIS_SCHEDULER": "false", **extra})
    env.update({"RELAIS_MAIL_LISTEN": "127.0.0.1:0", "RELAIS_WEB_LISTEN": "127.0.0.1:0"} | extra)  # free ports: tests run in parallel
    return env


def relais(tmp_path: Path, *args: str, stdin: str = "", **extra) -> subprocess.CompletedProcess:
    """`relais <args>` in a process of its own (a fork of the tests' command zygote: tests/cli_zygote.py)."""
    return cli_zygote.run(list(args), env_for(tmp_path, **extra), stdin=stdin, cwd=ROOT, timeout=60)


def query(tmp_path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(tmp_path / "relais.sqlite3") as conn:
        return conn.execute(sql).fetchall()


def test_operators_create_communities_and_grant_roles(tmp_path):
    assert relais(tmp_path, "migrate", "--check").returncode == 1
    done = relais(tmp_path, "migrate")
    assert done.returncode == 0 and "applied: 0_init.py" in done.stdout
    assert relais(tmp_path, "migrate", "--check").stdout.strip() == "up to date"
    made = relais(tmp_path, "community", "create", "coop", "Coop des Communs", "--facilitator", "console:lea", "email:Lea@Example.org")
    assert made.returncode == 0, made.stderr
    assert "community coop created" in made.stdout
    again = relais(tmp_path, "community", "create", "coop", "Encore")
    assert again.returncode == 1 and "already exists" in again.stderr
    granted = relais(tmp_path, "community", "grant", "coop", "telegram:42", "referent")
    assert granted.returncode == 0 and "telegram:42 is now referent of coop" in granted.stdout
    named = relais(tmp_path, "community", "grant", "coop", "telegram:43", "referent", "--name", "Zoé Martin")
    assert named.returncode == 0 and query(tmp_path, "select p.display_name from person p join account a on a.person_id = p.id "
                                                      "where a.address = '43'") == [("Zoé Martin",)]
    bad = relais(tmp_path, "community", "grant", "coop", "fax:42", "member")
    assert bad.returncode == 1 and "is not an account" in bad.stderr and "Traceback" not in bad.stderr
    assert "coop\tCoop des Communs" in relais(tmp_path, "community", "list").stdout
    roles = query(tmp_path, "select a.platform, a.address, m.role from account a join membership m on m.person_id = a.person_id order by a.id")
    assert roles == [("console", "lea", 40), ("email", "lea@example.org", 40), ("telegram", "42", 30), ("telegram", "43", 30)]
    # The facilitator can now talk to the community from the console.
    chat = relais(tmp_path, "console", "--as", "lea", stdin="projets\nprojet ajouter jardin \"Jardin\"\n")
    assert "Coop des Communs n'a pas encore de projet." in chat.stdout
    assert "Projet Jardin ajouté à Coop des Communs." in chat.stdout


def test_console_reads_one_command_per_line_from_a_pipe(tmp_path):
    out = relais(tmp_path, "console", "--as", "me", "--lang", "en", stdin="help\n\nprojets\nfolow x\n")
    assert out.returncode == 0, out.stderr
    assert "Demo community" in out.stderr
    assert "Voici ce que je sais faire" in out.stdout and "Brasserie de la Dombes" in out.stdout
    assert "Commande inconnue « folow »" in out.stdout
    assert out.stdout.index("Voici ce que") < out.stdout.index("Brasserie de la Dombes") < out.stdout.index("folow")
    assert "Traceback" not in out.stderr


def start_service(tmp_path: Path, **extra: str) -> subprocess.Popen:
    """`relais run` with no terminal: a service; returns once it says it is serving."""
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env_for(tmp_path, RELAIS_LOG_LEVEL="WARNING", **extra))
    line = proc.stderr.readline()
    while "running as a service" not in line:
        assert line, "relais run ended before serving"
        line = proc.stderr.readline()
    return proc


def test_run_is_a_service_that_stops_cleanly_on_sigterm(tmp_path):
    proc = start_service(tmp_path)
    try:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "stopped; undelivered messages stay in the outbox" in err


@pytest.mark.parametrize("sig", [signal.SIGKILL])
def test_killed_between_commit_and_send_then_restarted_each_follower_gets_one_notification(tmp_path, sig):
    # A console process that never delivers (batch 0) posts news and is killed: the outbox keeps the work.
    relais(tmp_path, "demo")
    proc = subprocess.Popen([sys.executable, "-m", "bot", "console", "--as", "camille"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
                            env=env_for(tmp_path, RELAIS_DELIVERY_BATCH="0"))
    proc.stdin.write("nouvelle dombes-brasserie Le brassin n°2 est en cuve\n")
    proc.stdin.flush()
    assert "Nouvelle publiée pour Brasserie de la Dombes." in proc.stdout.readline()
    os.kill(proc.pid, sig)
    proc.wait(timeout=10)
    assert query(tmp_path, "select status, count(*) from outbox_message group by status") == [("pending", 2)]
    # The service starts, delivers, and is stopped; started again, it sends nothing twice.
    for _ in range(2):
        service = start_service(tmp_path)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and query(tmp_path, "select count(*) from outbox_message where status = 'sent'") != [(2,)]:
            time.sleep(0.1)
        service.send_signal(signal.SIGTERM)
        service.communicate(timeout=20)
        assert service.returncode == 0
    inbox = query(tmp_path, "select address, count(*) from console_inbox group by address order by address")
    assert inbox == [("ana", 1), ("mehdi", 1)]


def test_operators_get_clear_answers_for_bad_names_empty_lists_and_no_command(tmp_path):
    """Slugs and time zones are checked where they are set; empty lists say so; `relais` alone shows the help."""
    alone = relais(tmp_path)
    assert alone.returncode == 0 and "usage: relais" in alone.stdout and "community" in alone.stdout
    assert "no community yet" in relais(tmp_path, "community", "list").stdout
    assert relais(tmp_path, "outbox").stdout.strip() == "the outbox is empty"
    bad = relais(tmp_path, "community", "create", "Bad Slug!", "Bad")
    assert bad.returncode == 1 and "cannot be a community name" in bad.stderr
    mars = relais(tmp_path, "community", "create", "mars", "Mars", "--timezone", "Mars/Olympus")
    assert mars.returncode == 1 and "is not a time zone" in mars.stderr and "Traceback" not in mars.stderr
    assert query(tmp_path, "select count(*) from community") == [(0,)]


def test_a_taken_port_stops_the_start_with_the_setting_to_change(tmp_path):
    """When the link endpoint's port is taken, `relais run` says which setting to change and exits (no half service)."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = subprocess.run([sys.executable, "-m", "bot", "run"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             cwd=ROOT, env=env_for(tmp_path, RELAIS_WEB_LISTEN=f"127.0.0.1:{port}"), timeout=60)
        # Only `relais run` listens: the console, a client of the core, opens no port and works beside the service.
        chat = relais(tmp_path, "console", "--as", "me", stdin="projets\n", RELAIS_WEB_LISTEN=f"127.0.0.1:{port}",
                      RELAIS_MAIL_LISTEN=f"127.0.0.1:{port}")
        assert chat.returncode == 0 and "Projets de" in chat.stdout, chat.stderr
    assert out.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr and "set RELAIS_WEB_LISTEN" in out.stderr
    assert "Traceback" not in out.stderr


def test_the_piped_console_shows_new_notifications_before_each_reply(tmp_path):
    """A script sees what a person would: the notifications of the account (📬) come before the reply to each line."""
    relais(tmp_path, "demo")
    relais(tmp_path, "console", "--as", "camille", stdin="nouvelle dombes-brasserie Le brassin n°3 est en cuve\n")
    out = relais(tmp_path, "console", "--as", "ana", stdin="projets\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.index("📬") < out.stdout.index("Le brassin n°3") < out.stdout.index("Projets de")


def test_the_tracking_sheet_printed_and_written_as_csv(tmp_path):
    assert relais(tmp_path, "demo").returncode == 0
    shown = relais(tmp_path, "sheet", "--community", "usine-vivante", "--lang", "en")
    assert shown.returncode == 0, shown.stderr
    assert "Tracking sheet of Tiers-lieu de l'Usine Vivante" in shown.stdout
    assert "Brasserie de la Dombes (funding) — referents: Camille" in shown.stdout and "1)" not in shown.stdout
    written = relais(tmp_path, "sheet", "--community", "usine-vivante", "--csv", str(tmp_path / "suivi.csv"))
    assert written.returncode == 0 and "4 projects written to" in written.stdout
    rows = (tmp_path / "suivi.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("projet;identifiant;statut;référent·es") and len(rows) == 5  # `;`: a French spreadsheet's
    book = relais(tmp_path, "sheet", "--community", "usine-vivante", "--xlsx", str(tmp_path / "suivi.xlsx"))
    assert book.returncode == 0 and "4 projects written to" in book.stdout and (tmp_path / "suivi.xlsx").read_bytes()[:2] == b"PK"
    missing = relais(tmp_path, "sheet", "--community", "nulle-part")
    assert missing.returncode == 1 and "nulle-part" in missing.stderr


def test_agenda_send_pushes_what_is_due_once(tmp_path):
    assert relais(tmp_path, "demo").returncode == 0
    first = relais(tmp_path, "agenda", "send")
    assert first.returncode == 0, first.stderr
    # The demo's agenda (Monday 09:00) was due this week or last: pushed now if less than a day late, else skipped.
    again = relais(tmp_path, "agenda", "send")
    assert "no agenda due now" in again.stdout and "reminders sent: 0" in again.stdout
    runs = query(tmp_path, "SELECT status FROM job_run WHERE key LIKE 'agenda:usine-vivante:%'")
    assert len(runs) == 1 and runs[0][0] in ("done", "skipped")
    pushed = query(tmp_path, "SELECT COUNT(*) FROM outbox_message WHERE kind = 'agenda'")[0][0]
    assert pushed == (1 if "pushed agenda:usine-vivante" in first.stdout else 0)


def test_the_impact_report_printed_and_written_as_png_and_html(tmp_path):
    assert relais(tmp_path, "demo").returncode == 0
    shown = relais(tmp_path, "report", "--community", "usine-vivante", "--weeks", "4", "--lang", "en")
    assert shown.returncode == 0, shown.stderr
    assert "The last 4 weeks of Tiers-lieu de l'Usine Vivante" in shown.stdout and "Participation: " in shown.stdout
    assert "report.png" not in shown.stdout  # no file on a terminal
    png = relais(tmp_path, "report", "--community", "usine-vivante", "--out", str(tmp_path / "bilan.png"))
    assert png.returncode == 0 and (tmp_path / "bilan.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    html = relais(tmp_path, "report", "--community", "usine-vivante", "--out", str(tmp_path / "bilan.html"))
    page = (tmp_path / "bilan.html").read_text(encoding="utf-8")
    assert html.returncode == 0 and '<img src="data:image/png;base64,' in page and "Les 12 dernières semaines" in page
    assert relais(tmp_path, "report", "--community", "usine-vivante", "--out", str(tmp_path / "x.pdf")).returncode == 2
    assert relais(tmp_path, "report", "--community", "nulle-part").returncode == 1
