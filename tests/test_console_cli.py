"""`relais console` as an operator meets it: `--as` finds who already has a name before creating anyone (and says
which it did), and the console behaves like a terminal program (Ctrl-C, Ctrl-D, quit, history), driven through a
pipe and through a pseudo-terminal."""

from __future__ import annotations

import os
import select
import time

from tests.test_cli import query, relais


def test_as_finds_an_existing_person_by_name_or_handle_before_creating_one(tmp_path):
    assert relais(tmp_path, "demo").returncode == 0
    people = query(tmp_path, "select count(*) from person")
    found = relais(tmp_path, "console", "--as", "Louise", stdin="moi\n")
    assert found.returncode == 0, found.stderr
    assert "talking as Louise, found by their name (console:louise)" in found.stderr
    assert "console:louise" in found.stdout and "Ressourcerie" not in found.stderr
    assert query(tmp_path, "select count(*) from person") == people  # nobody new
    by_handle = relais(tmp_path, "console", "--as", "console:camille", stdin="moi\n")
    assert "talking as Camille (console:camille)" in by_handle.stderr and "console:camille" in by_handle.stdout
    new = relais(tmp_path, "console", "--as", "Bernadette", stdin="moi\n")
    assert "nobody had that name: Bernadette is a new person (console:Bernadette)" in new.stderr
    assert query(tmp_path, "select count(*) from person") == [(people[0][0] + 1,)]
    again = relais(tmp_path, "console", "--as", "bernadette", stdin="moi\n")
    assert "talking as Bernadette, found by their name (console:Bernadette)" in again.stderr
    assert query(tmp_path, "select count(*) from person") == [(people[0][0] + 1,)]
    unknown = relais(tmp_path, "console", "--as", "telegram:999")
    assert unknown.returncode == 2 and "Nobody has the account telegram:999 yet" in unknown.stderr
    # A person known only elsewhere gets a console account of their own.
    with_mail = relais(tmp_path, "community", "grant", "usine-vivante", "email:zoe@example.org", "member", "--name", "Zoé Martin")
    assert with_mail.returncode == 0, with_mail.stderr
    zoe = relais(tmp_path, "console", "--as", "zoé martin", stdin="moi\n")
    assert "talking as Zoé Martin, who already wrote to Relais (a console account was added to them: console:zoe-martin)" in zoe.stderr
    assert "email:zoe@example.org" in zoe.stdout and "console:zoe-martin" in zoe.stdout


def test_as_refuses_a_name_several_people_have(tmp_path):
    relais(tmp_path, "demo")
    relais(tmp_path, "community", "grant", "usine-vivante", "telegram:42", "member", "--name", "Louise")
    both = relais(tmp_path, "console", "--as", "Louise")
    assert both.returncode == 2
    assert "Several people are called “Louise”: Louise (console:louise); Louise (telegram:42)." in both.stderr
    assert "Traceback" not in both.stderr


def test_quit_words_end_a_piped_console_and_leaving_a_community_asks_first(tmp_path):
    relais(tmp_path, "demo")
    out = relais(tmp_path, "console", "--as", "ana", stdin="projets\nquitter\nprojets\n")
    assert out.returncode == 0 and out.stdout.count("Projets de") == 1  # `quitter` alone left the console
    asked = relais(tmp_path, "console", "--as", "ana", stdin="quitter usine-vivante\n")
    assert "Quitter Tiers-lieu de l'Usine Vivante" in asked.stdout and "1) Oui, quitter" in asked.stdout
    assert query(tmp_path, "select count(*) from membership m join account a on a.person_id = m.person_id "
                           "where a.address = 'ana'") == [(1,)]  # asked, not done


class Terminal:
    """`relais console` on a pseudo-terminal, as a person types into it."""

    def __init__(self, tmp_path, *args: str):
        import pty
        import subprocess
        import sys

        from tests.test_cli import ROOT, env_for

        self.master, slave = pty.openpty()
        env = env_for(tmp_path, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", COLUMNS="200", LINES="50")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "console", *args], stdin=slave, stdout=slave, stderr=slave,
                                     cwd=ROOT, env=env, close_fds=True)
        os.close(slave)
        self.seen = ""

    def read_until(self, text: str, timeout: float = 30.0) -> str:
        """Everything shown until `text` appears (escape sequences left in); fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} never came; the screen shows: {self.seen[-2000:]!r}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the process ended: its side of the terminal is closed
                    chunk = b""
                if not chunk:
                    assert text in self.seen, f"{text!r} never came before the end: {self.seen[-2000:]!r}"
                self.seen += chunk.decode("utf-8", "replace")
        shown, _, self.seen = self.seen.partition(text)
        return shown + text

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def ended(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            assert time.monotonic() < deadline, "the console did not end"
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536).decode("utf-8", "replace")
                except OSError:
                    pass
        return self.proc.returncode

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def test_on_a_terminal_ctrl_c_clears_the_line_twice_quits_ctrl_d_quits_and_history_persists(tmp_path):
    relais(tmp_path, "demo")
    term = Terminal(tmp_path, "--as", "me")
    try:
        term.read_until("Ctrl-C efface la ligne")
        term.read_until("›")
        term.type("suivre tout-et-n")  # typed, then dropped by Ctrl-C: never sent
        term.type("\x03")
        term.read_until("Ctrl-C encore, ou Ctrl-D, pour partir")
        term.read_until("›")
        term.type("projets\r")
        shown = term.read_until("Crèche inter-entreprises")
        assert "tout-et-n" not in shown.split("projets")[-1] and "Pas de projet" not in shown
        term.read_until("›")
        term.type("\x03")
        term.type("\x03")  # twice in a row: leaves
        term.read_until("À bientôt")
        assert term.ended() == 0
    finally:
        term.close()
    assert "projets" in (tmp_path / "console_history").read_text()
    again = Terminal(tmp_path, "--as", "me")
    try:
        again.read_until("›")
        again.type("\x1b[A")  # the arrow up: the line of the session before
        again.type("\r")
        again.read_until("Crèche inter-entreprises")
        again.read_until("›")
        again.type("\x04")  # Ctrl-D on an empty line: leaves
        again.read_until("À bientôt")
        assert again.ended() == 0
    finally:
        again.close()
    third = Terminal(tmp_path, "--as", "me")
    try:
        third.read_until("›")
        third.type("quitter\r")  # alone, `quitter` leaves the console, not the community
        third.read_until("À bientôt")
        assert third.ended() == 0
    finally:
        third.close()
    assert query(tmp_path, "select count(*) from membership m join account a on a.person_id = m.person_id "
                           "where a.address = 'me'") == [(1,)]
