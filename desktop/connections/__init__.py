"""Broker connections: what each broker needs (specs), the registry, saved connections.

Qt-free. An adapter registers with one module in ``adapters/`` defining ``SPEC``
(found by :mod:`.registry`).
"""

from .registry import broker_spec, broker_specs, find_preset, register_broker, unregister_broker
from .spec import BrokerSpec, FieldKind, FieldSpec, Preset, validate_name
from .store import Connection, ConnectionStore, new_connection_id
from .tools import CertificateOffer, ConnectionTool, ToolChoice, ToolResult

__all__ = [
    "BrokerSpec",
    "CertificateOffer",
    "ConnectionTool",
    "Preset",
    "ToolChoice",
    "ToolResult",
    "find_preset",
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
