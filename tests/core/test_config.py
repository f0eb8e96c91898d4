"""Settings: defaults for the embedded mode, environment over TOML file, every setting documented."""

from pathlib import Path

from bot.config import Settings, env_example

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_run_the_embedded_mode(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env here
    for key in list(__import__("os").environ):
        if key.startswith("RELAIS_"):
            monkeypatch.delenv(key)
    settings = Settings()
    assert settings.core.resolved_database_url() == f"sqlite://{tmp_path / 'data' / 'relais.sqlite3'}"
    assert settings.mail.listen == "127.0.0.1:2525"
    assert settings.telegram.token.get_secret_value() == "" and not settings.matrix.homeserver


def test_environment_wins_over_the_toml_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "relais.toml"
    config.write_text('default_locale = "en"\ndatabase_url = "postgres://u@h:5432/db"\n'
                      '[telegram]\ntoken = "123:from-file"\nglobal_rate = 10\n[matrix]\nhomeserver = "https://m.example"\n')
    monkeypatch.setenv("RELAIS_TELEGRAM_TOKEN", "123:from-env")
    settings = Settings(config)
    assert settings.core.default_locale == "en"
    assert settings.core.resolved_database_url() == "postgres://u@h:5432/db"
    assert settings.telegram.token.get_secret_value() == "123:from-env"
    assert settings.telegram.global_rate == 10
    assert settings.matrix.homeserver == "https://m.example"
    assert "from-env" not in repr(settings.telegram)  # secrets never print


def test_env_example_documents_every_setting():
    assert (ROOT / ".env.example").read_text(encoding="utf-8") == env_example(), "run `make env-example`"
    text = env_example()
    for name in ("RELAIS_DATABASE_URL", "RELAIS_TELEGRAM_TOKEN", "RELAIS_MATRIX_HOMESERVER", "RELAIS_SMTP_URL",
                 "RELAIS_PUBLIC_URL", "RELAIS_MAILMAN_URL", "RELAIS_MAIL_DOMAIN"):
        assert f"\n{name}=" in text
    assert all(line.startswith("# ") for line, nxt in zip(text.splitlines(), text.splitlines()[1:]) if nxt.startswith("RELAIS_"))

