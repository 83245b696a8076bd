"""Liaison's entry point: build settings, database, gateway and the Bolt app, then serve."""

from __future__ import annotations

import logging
import sys

from bot.settings import Settings, SettingsError


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"liaison: {error}", file=sys.stderr)
        return 2
    print(f"liaison: settings read (local mode: {settings.local_mode}); the Slack surface is not wired yet")
    return 0


if __name__ == "__main__":
    sys.exit(main())
