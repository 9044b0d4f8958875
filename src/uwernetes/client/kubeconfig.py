"""Build an HTTP client from a kubeconfig file (current context; token or insecure)."""

from __future__ import annotations

import base64
from pathlib import Path

import yaml

from uwernetes.client.api import Client
from uwernetes.client.transport import HTTPTransport


def load(path: str | Path, context: str | None = None) -> dict:
    doc = yaml.safe_load(Path(path).read_text())
    ctx_name = context or doc.get("current-context")
    ctx = next(c["context"] for c in doc["contexts"] if c["name"] == ctx_name)
    cluster = next(c["cluster"] for c in doc["clusters"] if c["name"] == ctx["cluster"])
    user = next((u["user"] for u in doc.get("users") or () if u["name"] == ctx.get("user")), {})
    return {"cluster": cluster, "user": user}


def client_from_kubeconfig(path: str | Path, user_agent: str = "uwernetes", field_manager: str = "") -> Client:
    cfg = load(path)
    cluster, user = cfg["cluster"], cfg["user"]
    ca_data = base64.b64decode(cluster["certificate-authority-data"]) if cluster.get("certificate-authority-data") else None
    transport = HTTPTransport(
        cluster["server"],
        token=user.get("token", ""),
        ca_file=cluster.get("certificate-authority"),
        ca_data=ca_data,
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        user_agent=user_agent,
    )
    return Client(transport, field_manager or user_agent)
