"""Routing: offering unassigned tickets to the right agent with room for them."""
