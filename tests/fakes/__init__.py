"""Test doubles of outside services (fake servers the adapters talk to over real sockets)."""
