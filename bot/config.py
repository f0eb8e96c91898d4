"""Settings: environment variables prefixed RELAIS_, optionally a TOML file (--config)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource


class Section(BaseSettings):
    """A settings section; `toml_table` names its table in the TOML file ("" = top level)."""

    toml_table: ClassVar[str] = ""
    _toml_file: ClassVar[Path | None] = None  # set while Settings loads a file given with --config
    _toml_tables: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        """The environment and .env win over the TOML file (pydantic-settings' own TOML source)."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        if cls._toml_file is not None and (not cls.toml_table or cls.toml_table in cls._toml_tables):
            header = (cls.toml_table,) if cls.toml_table else ()
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls._toml_file, toml_table_header=header))
        return tuple(sources)


class CoreSettings(Section):
    model_config = SettingsConfigDict(env_prefix="RELAIS_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the SQLite database, logs and console inboxes live.")
    database_url: str = Field("", description="sqlite:///path or postgres://user@host:port/db; empty = SQLite in data_dir.")
    default_community: str = Field("", description="Community of direct chats when a person belongs to none yet.")
    default_locale: str = Field("fr", description="Language of new communities: fr or en.")
    console_user: str = Field("me", description="Console account name used by `relais run` on a terminal.")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_format: str = Field("json", description="json (one object a line) or text.")
    log_file: str = Field("", description="Log file; empty = standard error (the console chat logs to data_dir).")
    delivery_interval: float = Field(1.0, description="Seconds between two looks at the outbox.")
    delivery_batch: int = Field(100, description="Outbox messages claimed at once; 0 = this process never delivers (another one does).")
    delivery_max_backoff: float = Field(3600.0, description="Longest wait between two tries of a failing delivery.")
    digest_lease: float = Field(120.0, description="Seconds a digest run holds its claims; a run that died is taken over after that.")
    scheduler: bool = Field(True, description="Run the scheduled jobs (digests, agendas, reminders, housekeeping) in this process; "
                                              "false leaves them to another process sharing the database.")
    scheduler_interval: float = Field(60.0, description="Seconds between two looks for due scheduled jobs (digests, agendas, reminders).")
    failover_s: float = Field(15.0, description="Seconds within which another process takes over a role (Telegram polling, the Matrix "
                                                "sync, the scheduler, the Mailman sync) from one that died; several processes need PostgreSQL.")
    prompt_remind_days: float = Field(3.0, description="Days after which a referent who has not answered a prompt gets its one reminder.")
    secret_key: SecretStr = Field(SecretStr(""), description="Key that signs links and tokens; set it in production.")
    files_url: str = Field("", description="Where photos and documents are kept: empty = data_dir/files-store; s3://bucket/prefix = "
                                           "an S3-compatible store (for several processes on several machines).")
    files_endpoint: str = Field("", description="Endpoint of the S3-compatible store, e.g. https://s3.example.org; empty = AWS.")
    files_region: str = Field("us-east-1", description="Region of the S3-compatible store.")
    files_key_id: str = Field("", description="Access key id of the S3-compatible store; empty = the AWS_* environment.")
    files_secret: SecretStr = Field(SecretStr(""), description="Secret access key of the S3-compatible store.")

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite://{(self.data_dir / 'relais.sqlite3').resolve()}"


class TelegramSettings(Section):
    model_config = SettingsConfigDict(env_prefix="RELAIS_TELEGRAM_", env_file=".env", extra="ignore")
    toml_table: ClassVar[str] = "telegram"

    token: SecretStr = Field(SecretStr(""), description="Bot token from @BotFather; empty = Telegram off.")
    api_url: str = Field("https://api.telegram.org", description="Base URL of the Bot API server (a self-hosted one, or a test emulator).")
    webhook_url: str = Field("", description="Public HTTPS URL for webhook mode; empty = long polling.")
    webhook_listen: str = Field("127.0.0.1:8081", description="host:port the webhook server listens on.")
    webhook_secret: SecretStr = Field(SecretStr(""), description="Secret token Telegram sends with each webhook call.")
    global_rate: float = Field(30.0, description="Messages per second for the whole bot (Telegram allows 30).")
    chat_rate: float = Field(1.0, description="Messages per second to one private chat.")
    group_per_minute: int = Field(20, description="Messages per minute to one group.")


class MatrixSettings(Section):
    model_config = SettingsConfigDict(env_prefix="RELAIS_MATRIX_", env_file=".env", extra="ignore")
    toml_table: ClassVar[str] = "matrix"

    homeserver: str = Field("", description="Homeserver URL, e.g. https://matrix.example.org; empty = Matrix off.")
    user_id: str = Field("", description="Relais' Matrix user, e.g. @relais:example.org.")
    password: SecretStr = Field(SecretStr(""), description="Password, used once to log in (the token is then kept in the database).")
    access_token: SecretStr = Field(SecretStr(""), description="Access token, instead of a password.")
    invite_allow: str = Field("", description="Users or servers whose invites are accepted, e.g. @alice:example.org,:example.org.")
    encryption: bool = Field(True, description="Read and answer in end-to-end encrypted rooms and direct chats (keys kept in "
                                                "data_dir/matrix-store, copied encrypted to the database when RELAIS_SECRET_KEY is "
                                                "set; with several processes, the one holding the Matrix role serves Matrix).")
    trust: str = Field("first-use", pattern="^(first-use|listed)$",
                       description="Which members' devices get the room keys: first-use (each device trusted when first seen, as "
                                   "members never verify a bot) or listed (only those in RELAIS_MATRIX_TRUSTED_DEVICES).")
    trusted_devices: str = Field("", description="With trust=listed: the devices that get the room keys, as user/device, e.g. "
                                                 "@alice:example.org/ABCDEFGHIJ,@bob:example.org/KLMNOPQRST.")


class MailSettings(Section):
    model_config = SettingsConfigDict(env_prefix="RELAIS_MAIL_", env_file=".env", extra="ignore", populate_by_name=True)
    toml_table: ClassVar[str] = "mail"

    listen: str = Field("127.0.0.1:2525", description="host:port of the inbound mail gateway; empty = no gateway.")
    domain: str = Field("relais.localhost", description="Mail domain of Relais: it answers at relais@<domain>.")
    lmtp: bool = Field(False, description="Speak LMTP instead of SMTP (delivery from Mailman or an MTA).")
    max_size: int = Field(10 * 1024 * 1024, description="Largest inbound mail in bytes (larger ones get 552).")
    bounce_limit: int = Field(3, description="Permanent failures after which an address receives nothing more (its person is told elsewhere).")
    replies_per_hour: int = Field(20, description="Most replies Relais sends one address in an hour (its mails are still handled).")
    # DKIM (named RELAIS_DKIM_*): for a setup that sends straight to the world; a relay that signs needs none of it.
    dkim_selector: str = Field("", validation_alias="RELAIS_DKIM_SELECTOR",
                               description="DKIM selector: every outgoing mail is signed, its public key published at "
                                           "<selector>._domainkey.<domain>; empty = no signing.")
    dkim_key_file: str = Field("", validation_alias="RELAIS_DKIM_KEY_FILE",
                               description="DKIM private key, a PEM RSA key file (openssl genrsa -out dkim.pem 2048), read at start.")
    dkim_domain: str = Field("", validation_alias="RELAIS_DKIM_DOMAIN",
                             description="Domain of the DKIM signature (d=), the From domain or its parent; empty = RELAIS_MAIL_DOMAIN.")


class SmtpSettings(Section):
    model_config = SettingsConfigDict(env_prefix="RELAIS_SMTP_", env_file=".env", extra="ignore")
    toml_table: ClassVar[str] = "smtp"

    url: SecretStr = Field(SecretStr(""), description="Outbound mail: smtp://user:pass@host:587 (STARTTLS) or smtps://host:465; "
                                                      "empty = each mail is written to <data dir>/mail-out/*.eml instead (nothing is sent).")


class WebSettings(Section):
    model_config = SettingsConfigDict(env_prefix="RELAIS_", env_file=".env", extra="ignore")
    toml_table: ClassVar[str] = "web"

    public_url: str = Field("http://127.0.0.1:8080", description="Public base URL of the signed links in mails.")
    web_listen: str = Field("127.0.0.1:8080", description="host:port of the web endpoint for signed links; empty = off.")
    metrics_token: SecretStr = Field(SecretStr(""), description="Bearer token of /metrics (Prometheus) on the web endpoint; "
                                                                "empty = no metrics.")


class MailmanSettings(Section):
    model_config = SettingsConfigDict(env_prefix="RELAIS_MAILMAN_", env_file=".env", extra="ignore")
    toml_table: ClassVar[str] = "mailman"

    url: str = Field("", description="Mailman 3 core REST API, e.g. http://127.0.0.1:8001/3.1; empty = no Mailman.")
    user: str = Field("restadmin", description="Mailman REST user.")
    password: SecretStr = Field(SecretStr(""), description="Mailman REST password.")
    domain: str = Field("", description="Mail domain of the lists (a Mailman domain, created if missing); empty = RELAIS_MAIL_DOMAIN.")
    lmtp: str = Field("", description="host:port of Mailman's LMTP runner: list posts go straight to it; empty = through RELAIS_SMTP_URL.")


class PaymentsSettings(Section):
    model_config = SettingsConfigDict(env_prefix="RELAIS_", env_file=".env", extra="ignore")
    toml_table: ClassVar[str] = "payments"

    helloasso_client_id: str = Field("", description="HelloAsso API client id (Mon compte > Intégrations et API); empty = campaigns "
                                                     "cannot be linked to HelloAsso.")
    helloasso_client_secret: SecretStr = Field(SecretStr(""), description="HelloAsso API client secret.")
    helloasso_api_url: str = Field("https://api.helloasso.com", description="HelloAsso API base URL (its /oauth2/token and /v5); "
                                                                           "https://api.helloasso-sandbox.com for the sandbox.")
    opencollective_token: SecretStr = Field(SecretStr(""), description="Open Collective personal token (sent as Personal-Token); "
                                                                       "empty = public data only.")
    opencollective_api_url: str = Field("https://api.opencollective.com/graphql/v2", description="Open Collective GraphQL API v2 URL.")
    money_sync_minutes: float = Field(30.0, ge=1, description="Minutes between two reads of a linked campaign's amount on its platform.")
    money_sync_concurrency: int = Field(4, ge=1, le=16, description="Most requests in flight at once to one payment platform.")

SECTIONS: dict[str, type[Section]] = {"core": CoreSettings, "telegram": TelegramSettings, "matrix": MatrixSettings, "mail": MailSettings,
            "smtp": SmtpSettings, "web": WebSettings, "mailman": MailmanSettings,
            "payments": PaymentsSettings}


def all_sections() -> dict[str, type[Section]]:
    """These sections and those a registered platform brings in its own folder (`Platform.settings`)."""
    from bot.core import platforms

    return {**SECTIONS, **{p.section: p.settings for p in platforms.everything() if p.section and p.settings is not None}}


class Settings:
    """All sections, loaded once by the composition root; keyword overrides are for tests (`core={...}` style)."""

    core: CoreSettings  # the sections the house reads itself; a platform reads its own with `section(name)`
    mail: MailSettings
    smtp: SmtpSettings
    web: WebSettings
    mailman: MailmanSettings
    payments: PaymentsSettings

    def __init__(self, config_file: Path | None = None, sections: dict[str, dict] | None = None, **core: Any):
        toml: dict[str, Any] = {}
        if config_file is not None:
            toml = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))  # a file that is not TOML stops here
        overrides = dict(sections or {})
        overrides.setdefault("core", {}).update(core)
        Section._toml_file = Path(config_file) if config_file is not None else None
        Section._toml_tables = frozenset(k for k, v in toml.items() if isinstance(v, dict))
        try:
            self._sections = {name: cls(**overrides.get(name, {})) for name, cls in all_sections().items()}
        finally:
            Section._toml_file = None
            Section._toml_tables = frozenset()
        for name, section in self._sections.items():
            setattr(self, name, section)
        self.toml = toml

    def section(self, name: str) -> Any:
        """A section by name (a platform's own: `settings.section("telegram")`)."""
        return self._sections[name]


def env_example() -> str:
    """The text of .env.example: every setting, one comment each, with its default."""
    lines = ["# Relais settings: copy to .env (never committed) or export them; a TOML file given with",
             "# `relais --config relais.toml` may hold the same keys in tables ([telegram] token = ...).", ""]
    for name, cls in all_sections().items():
        lines.append(f"# --- {name} ---")
        prefix = cls.model_config["env_prefix"]
        for field_name, field in cls.model_fields.items():
            default = field.default
            if isinstance(default, SecretStr):
                default = default.get_secret_value()
            lines.append(f"# {field.description}")
            env = field.validation_alias if isinstance(field.validation_alias, str) else f"{prefix}{field_name.upper()}"
            lines.append(f"{env}={'' if default is None else default}")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(env_example(), end="")
