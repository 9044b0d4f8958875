"""Uwernetes: Kubernetes v1.30 in Python."""

__version__ = "0.1.0"
