"""Incidents: declare, roles, linked tickets, the customer liaison."""
