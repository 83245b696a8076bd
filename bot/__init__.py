"""Liaison's domain: services, clock, Slack gateway, outbox, message builders and templates."""
