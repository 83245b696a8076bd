"""Local mode: a Slack stand-in, a signed request driver and a console."""
