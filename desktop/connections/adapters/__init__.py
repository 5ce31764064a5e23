"""One module per broker adapter, each defining ``SPEC = BrokerSpec(...)``: what the
broker needs to connect, its factory and its form tools (see ../registry.py)."""
