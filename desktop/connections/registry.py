"""The brokers a user can add as connections, in registration order. Qt-free.

An adapter registers with one call, at import of its spec module (see
``desktop/connections/paper.py`` and ``desktop/connections/__init__.py``)::

    register_broker(BrokerSpec(key="ibkr", display_name="Interactive Brokers",
                               fields=(FieldSpec(name="gateway_url", label="Gateway URL", kind="url"), ...),
                               factory=lambda config, secrets: IbkrBroker(**config, **secrets)))
"""

from __future__ import annotations

from .spec import BrokerSpec

_REGISTRY: dict[str, BrokerSpec] = {}


def register_broker(spec: BrokerSpec, *, replace: bool = False) -> BrokerSpec:
    """Make ``spec`` available in the connections dialog and to ``create_broker``.

    Raises ValueError when the key is taken (unless ``replace``). Returns ``spec``.
    """
    if spec.key in _REGISTRY and not replace and _REGISTRY[spec.key] is not spec:
        raise ValueError(f"a broker is already registered as {spec.key!r}")
    _REGISTRY[spec.key] = spec
    return spec


def unregister_broker(key: str) -> None:
    """Forget ``key`` (tests). No error when unknown."""
    _REGISTRY.pop(key, None)


def broker_spec(key: str) -> BrokerSpec:
    """The spec registered as ``key``. Raises KeyError naming the known keys."""
    try:
        return _REGISTRY[key]
    except KeyError:
        raise KeyError(f"unknown broker {key!r}; known brokers: {', '.join(sorted(_REGISTRY))}") from None


def broker_specs() -> list[BrokerSpec]:
    """Every registered spec, in registration order."""
    return list(_REGISTRY.values())
