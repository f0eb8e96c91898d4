"""Settings: environment variables prefixed RELAIS_, optionally a TOML file (--config)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


class _TomlSection(PydanticBaseSettingsSource):
    """Reads one table of the TOML file; the environment still wins over it."""

    def __init__(self, settings_cls: type[BaseSettings], table: dict[str, Any]):
        super().__init__(settings_cls)
        self.table = table

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.table.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self.table.items() if k in self.settings_cls.model_fields}


class Section(BaseSettings):
    """A settings section; `toml_table` names its table in the TOML file ("" = top level)."""

    toml_table: ClassVar[str] = ""
    _toml: ClassVar[dict[str, Any]] = {}

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        table = cls._toml if not cls.toml_table else cls._toml.get(cls.toml_table, {})
        return (init_settings, env_settings, dotenv_settings, _TomlSection(settings_cls, table))


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
    delivery_batch: int = Field(100, description="Outbox messages claimed at once.")
    delivery_max_backoff: float = Field(3600.0, description="Longest wait between two tries of a failing delivery.")
    secret_key: SecretStr = Field(SecretStr(""), description="Key that signs links and tokens; set it in production.")

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite://{(self.data_dir / 'relais.sqlite3').resolve()}"


class Settings:
    """All sections, loaded once by the composition root."""

    def __init__(self, config_file: Path | None = None, **core: Any):
        toml: dict[str, Any] = {}
        if config_file is not None:
            toml = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
        Section._toml = toml
        try:
            self.core = CoreSettings(**core)
        finally:
            Section._toml = {}
        self.toml = toml
