"""Bearer-token authentication: static tokens (upstream's --token-auth-file, the admin credential of
`uwe up`) and the union of token authenticators the API server consults in order.

`UnionAuthenticator.authenticate_token(token, audiences)` is what TokenReview asks; it follows
upstream's `union` token authenticator and `WrapAudienceAgnosticToken` (static tokens hold for the
API server's own audiences only) and reports errors as `utilerrors.NewAggregate` words them.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class UserInfo:
    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)


ANONYMOUS = UserInfo("system:anonymous", "", ("system:unauthenticated",))
AUTHENTICATED = "system:authenticated"
INVALID_BEARER_TOKEN = "invalid bearer token"


@dataclass(frozen=True)
class TokenResult:
    """An authenticator's answer: the user (None when not authenticated), the audiences the token
    is valid for, and an error worth reporting ("" when the token simply was not recognised)."""

    user: UserInfo | None = None
    audiences: tuple[str, ...] = ()
    error: str = ""


class TokenAuthenticatorLike(Protocol):
    def authenticate_token(self, token: str, audiences: Sequence[str] | None = None) -> TokenResult: ...


class TokenAuthenticator:
    """Static tokens: audience-agnostic, so they count for the API server's audiences only."""

    def __init__(self, tokens: dict[str, UserInfo] | None = None, api_audiences: Sequence[str] = ()) -> None:
        self._tokens = dict(tokens or {})
        self.api_audiences = tuple(api_audiences)

    def add(self, token: str, user: UserInfo) -> None:
        self._tokens[token] = user

    def authenticate(self, token: str) -> UserInfo | None:
        return self._tokens.get(token)

    def authenticate_token(self, token: str, audiences: Sequence[str] | None = None) -> TokenResult:
        if audiences is None or not self.api_audiences:
            user = self._tokens.get(token)
            return TokenResult(user, self.api_audiences if user else ())
        wanted = intersect(self.api_audiences, audiences)
        if not wanted:
            return TokenResult()
        user = self._tokens.get(token)
        return TokenResult(user, wanted) if user else TokenResult()

    @classmethod
    def from_csv(cls, text: str) -> TokenAuthenticator:
        """`token,user,uid,"group1,group2"` lines, as upstream's token file."""
        auth = cls()
        for row in csv.reader(io.StringIO(text)):
            if len(row) < 3 or row[0].startswith("#"):
                continue
            groups = tuple(g for g in (row[3].split(",") if len(row) > 3 else []) if g)
            auth.add(row[0], UserInfo(row[1], row[2], groups + (AUTHENTICATED,)))
        return auth


def intersect(a: Sequence[str], b: Sequence[str]) -> tuple[str, ...]:
    """authenticator.Audiences.Intersect: the members of a also in b, in a's order."""
    return tuple(x for x in a if x in b)


def with_authenticated_group(user: UserInfo) -> UserInfo:
    """AuthenticatedGroupAdder: every authenticated user is in system:authenticated."""
    if AUTHENTICATED in user.groups:
        return user
    return UserInfo(user.name, user.uid, (*user.groups, AUTHENTICATED), user.extra)


def aggregate(errs: Sequence[str]) -> str:
    unique = list(dict.fromkeys(e for e in errs if e))
    if not unique:
        return ""
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


class UnionAuthenticator:
    """The first authenticator that recognises a token wins; errors of the others are collected."""

    def __init__(self, authenticators: Sequence[TokenAuthenticatorLike]) -> None:
        self.authenticators = list(authenticators)

    def authenticate_token(self, token: str, audiences: Sequence[str] | None = None) -> TokenResult:
        errs: list[str] = []
        for a in self.authenticators:
            result = a.authenticate_token(token, audiences)
            if result.user is not None:
                return TokenResult(with_authenticated_group(result.user), result.audiences)
            errs.append(result.error)
        # The bearer-token layer names a token nobody recognised (bearertoken.invalidToken).
        return TokenResult(error=aggregate(errs) or INVALID_BEARER_TOKEN)

    def authenticate(self, token: str) -> UserInfo | None:
        return self.authenticate_token(token).user


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
