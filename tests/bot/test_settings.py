"""Settings fail fast with a sentence naming the variable."""

import pytest

from bot.settings import Settings, SettingsError


def settings(**env: str) -> Settings:
    return Settings.from_env(env, dotenv=None)


def test_no_credentials_means_local_mode_on_sqlite() -> None:
    s = settings()
    assert s.local_mode and not s.socket_mode
    assert s.database_url == "sqlite:///liaison.db"
    assert s.port == 3000
    assert s.api_url == "https://slack.com/api/"


def test_api_url_gets_its_trailing_slash() -> None:
    s = settings(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s", SLACK_API_URL="http://127.0.0.1:9/api")
    assert s.api_url == "http://127.0.0.1:9/api/"
    assert not s.local_mode


def test_app_token_selects_socket_mode() -> None:
    assert settings(SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1").socket_mode


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxp-user", "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "oops"}, "SLACK_APP_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "slack.com"}, "SLACK_API_URL"),
    ],
)
def test_bad_settings_stop_with_the_variable_named(env: dict[str, str], names: str) -> None:
    with pytest.raises(SettingsError, match=names):
        settings(**env)
