"""Customers: their shared Slack channels, the conversations there, and what the team sees about each customer."""
