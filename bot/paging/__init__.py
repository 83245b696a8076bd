"""Paging people with acknowledgement, up escalation policies."""
