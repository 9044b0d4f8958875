"""Static bearer tokens (upstream's --token-auth-file): the admin credential of `uwe up`."""

from __future__ import annotations

import csv
import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class UserInfo:
    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()


ANONYMOUS = UserInfo("system:anonymous", "", ("system:unauthenticated",))


class TokenAuthenticator:
    def __init__(self, tokens: dict[str, UserInfo] | None = None) -> None:
        self._tokens = dict(tokens or {})

    def add(self, token: str, user: UserInfo) -> None:
        self._tokens[token] = user

    def authenticate(self, token: str) -> UserInfo | None:
        return self._tokens.get(token)

    @classmethod
    def from_csv(cls, text: str) -> TokenAuthenticator:
        """`token,user,uid,"group1,group2"` lines, as upstream's token file."""
        auth = cls()
        for row in csv.reader(io.StringIO(text)):
            if len(row) < 3 or row[0].startswith("#"):
                continue
            groups = tuple(g for g in (row[3].split(",") if len(row) > 3 else []) if g)
            auth.add(row[0], UserInfo(row[1], row[2], groups + ("system:authenticated",)))
        return auth


def ensure_token_file(data_dir: Path) -> tuple[Path, str]:
    """The admin token (system:masters), created on first start."""
    path = data_dir / "tokens.csv"
    if not path.exists():
        token = secrets.token_hex(24)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f'{token},admin,admin-uid,"system:masters"\n')
    first = path.read_text().splitlines()[0]
    return path, first.split(",", 1)[0]
