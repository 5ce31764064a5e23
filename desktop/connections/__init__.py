"""Broker connections: what each broker needs (specs), the registry, saved connections.

Qt-free. Importing this package registers the built-in brokers; an adapter adds itself
with one ``register_broker(BrokerSpec(...))`` call in a module imported below.
"""

from .registry import broker_spec, broker_specs, register_broker, unregister_broker
from .spec import BrokerSpec, FieldKind, FieldSpec, validate_name
from .store import Connection, ConnectionStore, new_connection_id

from . import paper  # noqa: E402,F401  (registers the paper broker)
from . import ibkr  # noqa: E402,F401  (registers the IBKR Client Portal broker)

__all__ = [
    "BrokerSpec",
    "Connection",
    "ConnectionStore",
    "FieldKind",
    "FieldSpec",
    "broker_spec",
    "broker_specs",
    "new_connection_id",
    "register_broker",
    "unregister_broker",
    "validate_name",
]
