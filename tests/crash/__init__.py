"""The kill -9 suite of the paper broker (see test_kill9.py)."""
