"""`make run`: local mode when no Slack credentials are set, otherwise hand over to `python app.py`'s `main()`."""

from __future__ import annotations

import logging
import sys

import app
from bot.config import ConfigError
from bot.local.run import run_local
from bot.migrate import upgrade
from bot.settings import Settings, SettingsError


def main() -> int:
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        sys.exit(f"liaison: {error}")
    if not settings.local_mode:
        return app.main(settings)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    upgrade(settings.database_url)
    try:
        return run_local(settings)
    except ConfigError as error:
        print(f"liaison: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
