"""Veille: event-driven monitoring of French news wires for warnings and demands."""

__version__ = "0.1.0"
