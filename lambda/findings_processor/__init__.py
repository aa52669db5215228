"""Findings processor: scanner reports → one finding model → Security Hub, SARIF, JUnit, summary, gate."""

__all__ = ["__version__"]

__version__ = "1.0.0"
