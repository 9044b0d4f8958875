"""Uwernetes: Kubernetes v1.30 in Python."""
