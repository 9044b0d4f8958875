"""Service account tokens: claims, signing, validation errors, the token authenticators, TokenRequest
handling, and impersonation built on the same user model."""

from __future__ import annotations

import asyncio
import base64
import stat

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from uwernetes.apiserver.reviews import Reviews
from uwernetes.auth import impersonation, sa_tokens, tokens
from uwernetes.auth.rbac import ALLOW, NO_OPINION
from uwernetes.machinery import errors

NOW = 1_700_000_000
KEY = ec.generate_private_key(ec.SECP256R1())
SA = {"metadata": {"name": "robot", "namespace": "team", "uid": "sa-uid"}}
POD = {"metadata": {"name": "web", "namespace": "team", "uid": "pod-uid"}, "spec": {"serviceAccountName": "robot", "nodeName": "n1"}}
NODE = {"metadata": {"name": "n1", "uid": "node-uid"}}


def payload(token: str) -> dict:
    part = token.split(".")[1]
    return orjson.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_claims_as_upstream_writes_them():
    claims = sa_tokens.make_claims(SA, ["https://kubernetes.default.svc.cluster.local"], 3600, NOW, jti="j-1")
    assert claims == {
        "aud": ["https://kubernetes.default.svc.cluster.local"], "exp": NOW + 3600, "iat": NOW,
        "iss": "https://kubernetes.default.svc.cluster.local", "jti": "j-1",
        "kubernetes.io": {"namespace": "team", "serviceaccount": {"name": "robot", "uid": "sa-uid"}},
        "nbf": NOW, "sub": "system:serviceaccount:team:robot",
    }
    bound = sa_tokens.make_claims(SA, ["a"], 600, NOW, pod=POD, node=NODE, warn_after=3607, jti="j")
    assert bound["kubernetes.io"] == {
        "namespace": "team", "node": {"name": "n1", "uid": "node-uid"}, "pod": {"name": "web", "uid": "pod-uid"},
        "serviceaccount": {"name": "robot", "uid": "sa-uid"}, "warnafter": NOW + 3607,
    }


def test_jwt_round_trip_and_tampering():
    token = sa_tokens.encode_jwt({"sub": "x", "iss": "i"}, KEY)
    header = orjson.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "ES256", "kid": sa_tokens.key_id(KEY.public_key())}
    assert sa_tokens.verify_jwt(token, KEY.public_key()) == {"sub": "x", "iss": "i"}
    head, body, sig = token.split(".")
    forged = base64.urlsafe_b64encode(orjson.dumps({"sub": "admin", "iss": "i"})).rstrip(b"=").decode()
    with pytest.raises(sa_tokens.TokenError, match="error in cryptographic primitive"):
        sa_tokens.verify_jwt(f"{head}.{forged}.{sig}", KEY.public_key())
    with pytest.raises(sa_tokens.TokenError, match="error in cryptographic primitive"):
        sa_tokens.verify_jwt(token, ec.generate_private_key(ec.SECP256R1()).public_key())


def test_signing_key_is_created_once_and_private(tmp_path):
    key = sa_tokens.ensure_signing_key(tmp_path)
    path = tmp_path / "pki" / "sa.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = sa_tokens.ensure_signing_key(tmp_path)
    assert sa_tokens.key_id(again.public_key()) == sa_tokens.key_id(key.public_key())


def authenticator(objects: dict, now: int = NOW) -> sa_tokens.ServiceAccountTokenAuthenticator:
    def getter(kind):
        return lambda ns, name: objects.get((kind, ns, name))

    getters = sa_tokens.ObjectGetters(getter("sa"), getter("pod"), getter("secret"))
    return sa_tokens.ServiceAccountTokenAuthenticator(KEY.public_key(), getters, clock=lambda: now)


def issue(audiences=("https://kubernetes.default.svc.cluster.local",), seconds=3600, **kw) -> str:
    return sa_tokens.TokenIssuer(KEY).generate(sa_tokens.make_claims(SA, list(audiences), seconds, NOW, jti="j-1", **kw))


def test_valid_token_gives_the_service_account_user():
    result = authenticator({("sa", "team", "robot"): SA}).authenticate_token(issue())
    assert result.user == tokens.UserInfo(
        "system:serviceaccount:team:robot", "sa-uid",
        ("system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"))
    assert result.user.extra == {"authentication.kubernetes.io/credential-id": ("JTI=j-1",)}
    assert result.audiences == ("https://kubernetes.default.svc.cluster.local",)


def test_pod_bound_token_carries_pod_and_node_extra():
    objs = {("sa", "team", "robot"): SA, ("pod", "team", "web"): POD}
    result = authenticator(objs).authenticate_token(issue(pod=POD, node=NODE))
    assert result.user.extra == {
        "authentication.kubernetes.io/credential-id": ("JTI=j-1",),
        "authentication.kubernetes.io/node-name": ("n1",),
        "authentication.kubernetes.io/node-uid": ("node-uid",),
        "authentication.kubernetes.io/pod-name": ("web",),
        "authentication.kubernetes.io/pod-uid": ("pod-uid",),
    }


@pytest.mark.parametrize(("objects", "now", "token", "error"), [
    pytest.param({}, NOW, None, 'serviceaccounts "robot" not found', id="service account deleted"),
    pytest.param({("sa", "team", "robot"): {"metadata": {"name": "robot", "namespace": "team", "uid": "new"}}}, NOW,
                 None, "service account UID (new) does not match claim (sa-uid)", id="service account recreated"),
    pytest.param({("sa", "team", "robot"): SA}, NOW + 3600 + 61, None, "service account token has expired",
                 id="expired past the leeway"),
    pytest.param({("sa", "team", "robot"): SA}, NOW - 61, None, "service account token is not valid yet",
                 id="not valid yet"),
    pytest.param({("sa", "team", "robot"): SA}, NOW, issue(audiences=("vault",)),
                 'token audiences ["vault"] is invalid for the target audiences '
                 '["https://kubernetes.default.svc.cluster.local"]', id="audience not the API server's"),
    pytest.param({("sa", "team", "robot"): SA}, NOW, issue(pod=POD), "service account token has been invalidated",
                 id="bound pod gone"),
])
def test_rejections(objects, now, token, error):
    result = authenticator(objects, now).authenticate_token(token or issue())
    assert (result.user, result.error) == (None, error)


def test_expiry_leeway_still_accepts():
    result = authenticator({("sa", "team", "robot"): SA}, NOW + 3600 + 59).authenticate_token(issue())
    assert result.user is not None


def test_tokens_of_other_issuers_are_left_to_other_authenticators():
    foreign = sa_tokens.encode_jwt({"iss": "https://elsewhere", "sub": "x"}, KEY)
    assert authenticator({}).authenticate_token(foreign) == tokens.TokenResult()
    assert authenticator({}).authenticate_token("not-a-jwt") == tokens.TokenResult()


def test_union_and_audience_agnostic_static_tokens():
    static = tokens.TokenAuthenticator({"s3cret": tokens.UserInfo("admin", "u", ("system:masters",))},
                                       api_audiences=("https://kubernetes.default.svc.cluster.local",))
    union = tokens.UnionAuthenticator([static, authenticator({("sa", "team", "robot"): SA})])
    admin = union.authenticate_token("s3cret")
    assert admin.user.groups == ("system:masters", "system:authenticated")
    assert union.authenticate_token("s3cret", ["vault"]) == tokens.TokenResult(error="invalid bearer token")
    assert union.authenticate_token("nope") == tokens.TokenResult(error="invalid bearer token")
    assert union.authenticate_token(issue(), ["vault"]).error.startswith('token audiences ["https://kubernetes')
    assert union.authenticate("s3cret").name == "admin"


class FakeRegistry:
    def __init__(self, objects: dict) -> None:
        from uwernetes.apiserver.resources.catalogue import all_resources

        self.resources = all_resources()
        self.objects = objects

    async def get(self, rt, namespace, name):
        obj = self.objects.get((rt.plural, namespace, name))
        if obj is None:
            raise errors.not_found(rt.plural, name, rt.group)
        return obj


def token_request(spec: dict, objects: dict | None = None, name: str = "robot") -> dict:
    objects = {("serviceaccounts", "team", "robot"): SA, ("pods", "team", "web"): POD, ("nodes", None, "n1"): NODE,
               **(objects or {})}
    reviews = Reviews(None, None, FakeRegistry(objects), sa_tokens.TokenIssuer(KEY))
    tr = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}
    return asyncio.run(reviews.token_request(tr, "team", name, now=NOW))


def test_token_request_defaults_and_status():
    out = token_request({})
    assert out["metadata"] == {"creationTimestamp": "2023-11-14T22:13:20Z", "name": "robot", "namespace": "team"}
    assert out["spec"] == {"expirationSeconds": 3600, "audiences": ["https://kubernetes.default.svc.cluster.local"]}
    assert out["status"]["expirationTimestamp"] == "2023-11-14T23:13:20Z"
    claims = payload(out["status"]["token"])
    assert (claims["sub"], claims["exp"] - claims["iat"]) == ("system:serviceaccount:team:robot", 3600)


def test_projected_token_lifetime_is_extended_with_warnafter():
    ref = {"kind": "Pod", "apiVersion": "v1", "name": "web", "uid": "pod-uid"}
    out = token_request({"expirationSeconds": 3607, "boundObjectRef": ref})
    claims = payload(out["status"]["token"])
    assert claims["exp"] - claims["iat"] == sa_tokens.EXPIRATION_EXTENSION_SECONDS
    assert claims["kubernetes.io"]["warnafter"] == NOW + 3607
    assert claims["kubernetes.io"]["node"] == {"name": "n1", "uid": "node-uid"}
    assert out["status"]["expirationTimestamp"] == "2023-11-14T23:13:27Z"


@pytest.mark.parametrize(("spec", "name", "code", "message"), [
    pytest.param({"expirationSeconds": 599}, "robot", 422,
                 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: '
                 "may not specify a duration less than 10 minutes", id="too short"),
    pytest.param({"expirationSeconds": (1 << 32) + 1}, "robot", 422,
                 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 4294967297: '
                 "may not specify a duration larger than 2^32 seconds", id="too long"),
    pytest.param({}, "ghost", 404, 'serviceaccounts "ghost" not found', id="no such service account"),
    pytest.param({"boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "web", "uid": "old"}}, "robot", 409,
                 'Operation cannot be fulfilled on Pod "web": the UID in the bound object reference (old) does not '
                 "match the UID in record. The object might have been deleted and then recreated", id="stale pod uid"),
    pytest.param({"boundObjectRef": {"kind": "Deployment", "apiVersion": "apps/v1", "name": "x"}}, "robot", 400,
                 'cannot bind token for serviceaccount "robot" to object of type "apps/v1, Kind=Deployment"',
                 id="unsupported bound kind"),
])
def test_token_request_errors(spec, name, code, message):
    with pytest.raises(errors.StatusError) as e:
        token_request(spec, name=name)
    assert (e.value.code, e.value.message) == (code, message)


def test_bound_pod_must_run_as_the_service_account():
    other = {**POD, "spec": {"serviceAccountName": "default"}}
    with pytest.raises(errors.StatusError) as e:
        token_request({"boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "web"}},
                      {("pods", "team", "web"): other})
    assert e.value.message == ('cannot bind token for serviceaccount "robot" to pod running with different '
                               "serviceaccount name.")


# ---- impersonation ----


def test_impersonation_requests_from_headers():
    reqs = impersonation.requests_from_headers({
        "impersonate-user": ["system:serviceaccount:ns:bot"], "impersonate-group": ["g1", "g2"],
        "impersonate-extra-scopes%2Fread": ["a"], "impersonate-uid": ["u-1"],
    })
    assert reqs == [
        impersonation.Request("ServiceAccount", "bot", "ns"), impersonation.Request("Group", "g1"),
        impersonation.Request("Group", "g2"), impersonation.Request("UserExtra", "a", extra_key="scopes/read"),
        impersonation.Request("UID", "u-1"),
    ]
    with pytest.raises(errors.StatusError) as e:
        impersonation.requests_from_headers({"impersonate-group": ["g1"]})
    assert e.value.code == 500


def allow_all(user, attrs):
    return ALLOW, ""


@pytest.mark.parametrize(("headers", "want"), [
    pytest.param({"impersonate-user": ["system:serviceaccount:ns:bot"]},
                 tokens.UserInfo("system:serviceaccount:ns:bot", "", ("system:serviceaccounts", "system:serviceaccounts:ns",
                                                                      "system:authenticated")),
                 id="service account groups come with the service account"),
    pytest.param({"impersonate-user": ["jane"], "impersonate-group": ["dev"], "impersonate-uid": ["7"]},
                 tokens.UserInfo("jane", "7", ("dev", "system:authenticated")), id="user with groups and uid"),
    pytest.param({"impersonate-user": ["jane"], "impersonate-group": ["system:unauthenticated"]},
                 tokens.UserInfo("jane", "", ("system:unauthenticated",)), id="explicit unauthenticated group"),
    pytest.param({"impersonate-user": ["system:anonymous"]},
                 tokens.UserInfo("system:anonymous", "", ("system:unauthenticated",)), id="anonymous"),
])
def test_impersonated_user(headers, want):
    got = impersonation.impersonate(tokens.UserInfo("admin"), impersonation.requests_from_headers(headers), allow_all)
    assert got == want


def test_impersonation_forbidden_message():
    def deny(user, attrs):
        return NO_OPINION, ""

    cases = [
        ({"impersonate-user": ["jane"]}, 'users "jane" is forbidden: User "bob" cannot impersonate resource "users" in '
                                         'API group "" at the cluster scope'),
        ({"impersonate-user": ["system:serviceaccount:ns:bot"]},
         'serviceaccounts "bot" is forbidden: User "bob" cannot impersonate resource "serviceaccounts" in API group "" '
         'in the namespace "ns"'),
    ]
    for headers, message in cases:
        with pytest.raises(errors.StatusError) as e:
            impersonation.impersonate(tokens.UserInfo("bob"), impersonation.requests_from_headers(headers), deny)
        assert (e.value.code, e.value.message) == (403, message)
