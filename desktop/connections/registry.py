"""The brokers a user can add as connections. Qt-free.

An adapter registers by having one module in ``desktop/connections/adapters/`` that
defines ``SPEC = BrokerSpec(...)`` (see ``adapters/paper.py``); the registry finds
those modules the first time it is asked (no import side effects, no list to edit).
Tests add their own with :func:`register_broker`.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil

from .spec import BrokerSpec

log = logging.getLogger(__name__)

_REGISTRY: dict[str, BrokerSpec] = {}
_discovered = False


def _discover() -> None:
    """Load every ``SPEC`` of ``desktop.connections.adapters`` once."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    from . import adapters

    for info in sorted(pkgutil.iter_modules(adapters.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{adapters.__name__}.{info.name}")
        spec = getattr(module, "SPEC", None)
        if isinstance(spec, BrokerSpec):
            _REGISTRY.setdefault(spec.key, spec)
        else:
            log.error("connections adapter module %s defines no SPEC", info.name)


def register_broker(spec: BrokerSpec, *, replace: bool = False) -> BrokerSpec:
    """Make ``spec`` available in the connections dialog and to ``create_broker``.

    Raises ValueError when the key is taken (unless ``replace``). Returns ``spec``.
    """
    _discover()
    if spec.key in _REGISTRY and not replace and _REGISTRY[spec.key] is not spec:
        raise ValueError(f"a broker is already registered as {spec.key!r}")
    _REGISTRY[spec.key] = spec
    return spec


def unregister_broker(key: str) -> None:
    """Forget ``key`` (tests). No error when unknown."""
    _REGISTRY.pop(key, None)


def broker_spec(key: str) -> BrokerSpec:
    """The spec registered as ``key``. Raises KeyError naming the known keys."""
    _discover()
    try:
        return _REGISTRY[key]
    except KeyError:
        raise KeyError(f"unknown broker {key!r}; known brokers: {', '.join(sorted(_REGISTRY))}") from None


def broker_specs() -> list[BrokerSpec]:
    """Every registered spec, by ``rank`` then registration order."""
    _discover()
    return sorted(_REGISTRY.values(), key=lambda spec: spec.rank)


def find_preset(key: str) -> tuple[BrokerSpec, object] | None:
    """``(spec, preset)`` of the preset called ``key`` in any spec, or None."""
    for spec in broker_specs():
        preset = spec.preset(key)
        if preset is not None:
            return spec, preset
    return None
