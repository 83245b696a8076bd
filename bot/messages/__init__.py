"""Pure message builders: domain objects in, Block Kit (built with slack_sdk.models) and a text fallback out."""
