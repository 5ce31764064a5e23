"""Preloaded by the kill -9 suite's fork server: importing this module imports the
paper broker and reads the shipped price history once, so that every worker forked
from the server starts in milliseconds instead of re-reading the CSV (History.open
keeps one instance per file). Nothing else imports it."""

from desktop.brokers.paper.history import History

from . import worker  # noqa: F401  (the workers' code, imported once in the server)

History.open().calendar()
