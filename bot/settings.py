"""Typed settings read once from the environment (and `.env`); a bad value stops start-up with a clear sentence."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

DEFAULT_API_URL = "https://slack.com/api/"


class SettingsError(ValueError):
    """A missing or malformed setting; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    bot_token: str | None
    signing_secret: str | None
    app_token: str | None
    api_url: str
    database_url: str
    port: int
    config_path: Path
    # PAGERDUTY_WEBHOOK_SECRET: the V3 webhook subscription's secret (several, comma-separated, while rotating);
    # without it `POST /webhooks/pagerduty` is not served.
    pagerduty_webhook_secrets: tuple[str, ...] = ()

    @property
    def local_mode(self) -> bool:
        """No Slack credentials: run against the local Slack stand-in."""
        return self.bot_token is None

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, dotenv: str | Path | None = ".env") -> Settings:
        values: dict[str, str] = {}
        if dotenv is not None and Path(dotenv).is_file():
            values.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
        values.update(os.environ if env is None else env)

        def get(name: str) -> str | None:
            value = values.get(name, "").strip()
            return value or None

        bot_token, signing_secret, app_token = (
            get("SLACK_BOT_TOKEN"),
            get("SLACK_SIGNING_SECRET"),
            get("SLACK_APP_TOKEN"),
        )
        if bot_token and not bot_token.startswith("xoxb-"):
            raise SettingsError("SLACK_BOT_TOKEN must be a bot token starting with 'xoxb-'.")
        if app_token and not app_token.startswith("xapp-"):
            raise SettingsError("SLACK_APP_TOKEN must be an app-level token starting with 'xapp-'.")
        if app_token and not bot_token:
            raise SettingsError("SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not; Socket Mode needs both.")
        if bot_token and not signing_secret and not app_token:
            raise SettingsError("SLACK_SIGNING_SECRET is required with SLACK_BOT_TOKEN in HTTP mode.")
        if signing_secret and not bot_token:
            raise SettingsError("SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not; set both or neither.")

        api_url = get("SLACK_API_URL") or DEFAULT_API_URL
        if not api_url.startswith(("http://", "https://")):
            raise SettingsError(f"SLACK_API_URL must be an http(s) URL, got {api_url!r}.")
        if not api_url.endswith("/"):
            api_url += "/"  # WebClient joins method names onto the base URL

        port_text = get("PORT") or "3000"
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise SettingsError(f"PORT must be a TCP port number (1-65535), got {port_text!r}.")

        return cls(
            bot_token=bot_token,
            signing_secret=signing_secret,
            app_token=app_token,
            api_url=api_url,
            database_url=get("DATABASE_URL") or "sqlite:///liaison.db",
            port=int(port_text),
            config_path=Path(get("LIAISON_CONFIG") or "config/liaison.toml"),
            pagerduty_webhook_secrets=tuple(
                x.strip() for x in (get("PAGERDUTY_WEBHOOK_SECRET") or "").split(",") if x.strip()
            ),
        )
