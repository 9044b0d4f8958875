"""Service account tokens: signed JWTs issued by TokenRequest and accepted as bearer tokens.

Mirrors upstream v1.30 `pkg/serviceaccount/{jwt.go,claims.go}`: claims `iss`, `sub`
(`system:serviceaccount:<ns>:<name>`), `aud`, `exp`, `iat`, `nbf`, `jti` (ServiceAccountTokenJTI is
beta and on in v1.30) and the private `kubernetes.io` claim {namespace, serviceaccount{name,uid},
pod|secret{name,uid}, node{name,uid}, warnafter}. Tokens are ES256 (the `cryptography` package;
upstream signs with whatever key it is given, RS256 or ES256) with a `kid` derived from the public
key as upstream derives it. The key lives next to the cluster PKI as `pki/sa.key`.

Validation follows `jwtTokenAuthenticator.AuthenticateToken` and the validator in claims.go: the
issuer must be ours (else the token is not ours to judge), the signature must verify, the audiences
must meet the requested ones, the token must be in its validity window, and the service account
(and any bound pod or secret) must still exist with the UID in the claim.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from uwernetes.auth import tokens

ISSUER = "https://kubernetes.default.svc.cluster.local"
DEFAULT_EXPIRATION_SECONDS = 3600
MIN_EXPIRATION_SECONDS = 600
MAX_EXPIRATION_SECONDS = 1 << 32
# The kubelet asks for this odd lifetime for projected tokens; the server then issues a year-long
# token that only warns after the hour (upstream's --service-account-extend-token-expiration).
WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 60 * 60 + 7
EXPIRATION_EXTENSION_SECONDS = 24 * 365 * 60 * 60
LEEWAY_SECONDS = 60  # go-jose's jwt.DefaultLeeway

CREDENTIAL_ID_KEY = "authentication.kubernetes.io/credential-id"
POD_NAME_KEY = "authentication.kubernetes.io/pod-name"
POD_UID_KEY = "authentication.kubernetes.io/pod-uid"
NODE_NAME_KEY = "authentication.kubernetes.io/node-name"
NODE_UID_KEY = "authentication.kubernetes.io/node-uid"

Obj = Mapping[str, Any]


class TokenError(ValueError):
    """A token that is ours but invalid; the message is what TokenReview reports."""


# ---- names ----


def make_username(namespace: str, name: str) -> str:
    return f"system:serviceaccount:{namespace}:{name}"


def make_group_names(namespace: str) -> tuple[str, ...]:
    return ("system:serviceaccounts", f"system:serviceaccounts:{namespace}")


def split_username(username: str) -> tuple[str, str] | None:
    """(namespace, name) of a service account user name, or None for other users."""
    prefix = "system:serviceaccount:"
    if not username.startswith(prefix):
        return None
    parts = username[len(prefix):].split(":")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return None
    return parts[0], parts[1]


# ---- keys ----


def ensure_signing_key(data_dir: Path) -> ec.EllipticCurvePrivateKey:
    """The token signing key, created on first start as `<data_dir>/pki/sa.key` (mode 0600)."""
    path = Path(data_dir) / "pki" / "sa.key"
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    tmp.replace(path)
    return key


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """keyIDFromPublicKey: unpadded base64url of the SHA-256 of the DER (PKIX) public key."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return _b64(hashlib.sha256(der).digest())


# ---- JWS compact serialization (ES256) ----


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_jwt(claims: Mapping[str, Any], key: ec.EllipticCurvePrivateKey) -> str:
    header = {"alg": "ES256", "kid": key_id(key.public_key())}
    signing_input = _b64(orjson.dumps(header)) + "." + _b64(orjson.dumps(claims))
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + _b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def unverified_claims(token: str) -> dict[str, Any] | None:
    """The payload of something shaped like a JWT, unverified; None when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = orjson.loads(_unb64(parts[1]))
    except (ValueError, orjson.JSONDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


def verify_jwt(token: str, public_key: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    """The verified claims; TokenError when the signature does not hold."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("square/go-jose: compact JWS format must have three parts")
    try:
        header = orjson.loads(_unb64(parts[0]))
        signature = _unb64(parts[2])
    except (ValueError, orjson.JSONDecodeError):
        raise TokenError("square/go-jose: error in cryptographic primitive") from None
    if not isinstance(header, dict) or header.get("alg") != "ES256" or len(signature) != 64:
        raise TokenError("square/go-jose: error in cryptographic primitive")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public_key.verify(der, f"{parts[0]}.{parts[1]}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise TokenError("square/go-jose: error in cryptographic primitive") from None
    claims = unverified_claims(token)
    if claims is None:
        raise TokenError("square/go-jose: error in cryptographic primitive")
    return claims


# ---- claims ----


def _ref(obj: Obj) -> dict[str, str]:
    m = obj.get("metadata") or {}
    return {"name": m.get("name") or "", "uid": m.get("uid") or ""}


def make_claims(
    sa: Obj,
    audiences: Sequence[str],
    expiration_seconds: int,
    now: int,
    *,
    pod: Obj | None = None,
    secret: Obj | None = None,
    node: Obj | None = None,
    warn_after: int = 0,
    jti: str | None = None,
) -> dict[str, Any]:
    """The claims of a token for service account `sa` (claims.go Claims), issued at `now` (epoch s)."""
    m = sa.get("metadata") or {}
    namespace = m.get("namespace") or ""
    private: dict[str, Any] = {"namespace": namespace}
    if pod is not None:
        private["node"] = _ref(node) if node is not None else None
        private["pod"] = _ref(pod)
    elif secret is not None:
        private["secret"] = _ref(secret)
    elif node is not None:
        private["node"] = _ref(node)
    private["serviceaccount"] = _ref(sa)
    if warn_after:
        private["warnafter"] = now + warn_after
    private = {k: v for k, v in private.items() if v is not None}
    return {
        "aud": list(audiences),
        "exp": now + expiration_seconds,
        "iat": now,
        "iss": ISSUER,
        "jti": jti or str(uuid.uuid4()),
        "kubernetes.io": private,
        "nbf": now,
        "sub": make_username(namespace, m.get("name") or ""),
    }


def _audiences(claims: Obj) -> tuple[str, ...]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return (aud,)
    return tuple(a for a in aud or () if isinstance(a, str))


def check_time(claims: Obj, now: int) -> None:
    """jwt.Claims.Validate with go-jose's one-minute leeway, worded as claims.go words it."""
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if isinstance(nbf, int | float) and now + LEEWAY_SECONDS < nbf:
        raise TokenError("service account token is not valid yet")
    if isinstance(exp, int | float) and now - LEEWAY_SECONDS > exp:
        raise TokenError("service account token has expired")


Getter = Callable[[str, str], dict | None]


@dataclass
class ObjectGetters:
    """How the validator looks objects up (None: not found). The server reads its watch caches."""

    service_account: Getter
    pod: Getter | None = None
    secret: Getter | None = None


def _deleted_long_ago(obj: Obj, now: int) -> bool:
    ts = (obj.get("metadata") or {}).get("deletionTimestamp")
    if not ts:
        return False
    from uwernetes.machinery.meta import parse_time

    return parse_time(ts).timestamp() < now - LEEWAY_SECONDS


def validate_private_claims(claims: Obj, getters: ObjectGetters, now: int) -> tokens.UserInfo:
    """The service account user behind verified claims, once the objects they name still exist."""
    check_time(claims, now)
    private = claims.get("kubernetes.io") or {}
    namespace = private.get("namespace") or ""
    saref = private.get("serviceaccount") or {}
    name = saref.get("name") or ""
    sa = getters.service_account(namespace, name)
    if sa is None:
        raise TokenError(f'serviceaccounts "{name}" not found')
    if _deleted_long_ago(sa, now):
        raise TokenError(f"service account {namespace}/{name} has been deleted")
    sa_uid = (sa.get("metadata") or {}).get("uid") or ""
    if sa_uid != saref.get("uid"):
        raise TokenError(f"service account UID ({sa_uid}) does not match claim ({saref.get('uid') or ''})")
    extra: dict[str, tuple[str, ...]] = {}
    secref, podref = private.get("secret"), private.get("pod")
    if secref:
        secret = getters.secret(namespace, secref.get("name") or "") if getters.secret else None
        if secret is None or _deleted_long_ago(secret, now):
            raise TokenError("service account token has been invalidated")
        if (secret.get("metadata") or {}).get("uid") != secref.get("uid"):
            raise TokenError(f"secret UID ({(secret.get('metadata') or {}).get('uid')}) does not match "
                             f"service account secret ref claim ({secref.get('uid')})")
    if podref:
        pod = getters.pod(namespace, podref.get("name") or "") if getters.pod else None
        if pod is None or _deleted_long_ago(pod, now):
            raise TokenError("service account token has been invalidated")
        if (pod.get("metadata") or {}).get("uid") != podref.get("uid"):
            raise TokenError(f"pod UID ({(pod.get('metadata') or {}).get('uid')}) does not match "
                             f"service account pod ref claim ({podref.get('uid')})")
        extra[POD_NAME_KEY] = (podref.get("name") or "",)
        extra[POD_UID_KEY] = (podref.get("uid") or "",)
    noderef = private.get("node")
    if noderef and podref:
        extra[NODE_NAME_KEY] = (noderef.get("name") or "",)
        extra[NODE_UID_KEY] = (noderef.get("uid") or "",)
    if claims.get("jti"):
        extra[CREDENTIAL_ID_KEY] = (f"JTI={claims['jti']}",)
    return tokens.UserInfo(make_username(namespace, name), sa_uid,
                           (*make_group_names(namespace), tokens.AUTHENTICATED), dict(sorted(extra.items())))


class ServiceAccountTokenAuthenticator:
    """Bearer tokens issued by TokenRequest (jwtTokenAuthenticator + the claims.go validator)."""

    def __init__(self, public_key: ec.EllipticCurvePublicKey, getters: ObjectGetters, *,
                 issuers: Sequence[str] = (ISSUER,), api_audiences: Sequence[str] = (ISSUER,),
                 clock: Callable[[], float] | None = None) -> None:
        import time

        self.public_key = public_key
        self.getters = getters
        self.issuers = tuple(issuers)
        self.api_audiences = tuple(api_audiences)
        self._clock = clock or time.time

    def authenticate_token(self, token: str, audiences: Sequence[str] | None = None) -> tokens.TokenResult:
        unverified = unverified_claims(token)
        if unverified is None or unverified.get("iss") not in self.issuers:
            return tokens.TokenResult()  # not ours: let the other authenticators judge it
        try:
            claims = verify_jwt(token, self.public_key)
        except TokenError as e:
            return tokens.TokenResult(error=str(e))
        token_auds = _audiences(claims) or self.api_audiences  # legacy tokens carry no audience
        wanted = tuple(audiences) if audiences is not None else self.api_audiences
        auds = tokens.intersect(token_auds, wanted)
        if not auds and self.api_audiences:
            return tokens.TokenResult(error=f"token audiences {_go_quoted(token_auds)} is invalid for the target "
                                            f"audiences {_go_quoted(wanted)}")
        try:
            user = validate_private_claims(claims, self.getters, int(self._clock()))
        except TokenError as e:
            return tokens.TokenResult(error=str(e))
        return tokens.TokenResult(user, auds)


def _go_quoted(items: Sequence[str]) -> str:
    """Go's %q of a []string: ["a" "b"]."""
    return "[" + " ".join(orjson.dumps(i).decode() for i in items) + "]"


class TokenIssuer:
    """Signs tokens with the server's key (serviceaccount.JWTTokenGenerator)."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, issuer: str = ISSUER) -> None:
        self.key = key
        self.issuer = issuer

    def generate(self, claims: Mapping[str, Any]) -> str:
        return encode_jwt({**claims, "iss": self.issuer}, self.key)
