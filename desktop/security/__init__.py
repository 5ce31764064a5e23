"""Secrets in the OS keyring and their redaction from logs. Qt-free, below every other
layer that handles secrets (adapters, connections, the desk, the UI)."""
