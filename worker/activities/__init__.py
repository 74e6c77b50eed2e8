"""Temporal activities: the only places where a flow does I/O."""
