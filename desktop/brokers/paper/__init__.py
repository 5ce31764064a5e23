"""The paper broker: a simulated market replaying real daily history with synthetic minutes."""
