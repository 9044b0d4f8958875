"""Content negotiation: what the client accepts (JSON, YAML, Table) and what its body is."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
import yaml

from uwernetes.machinery import errors, protobuf

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
APPLY_PATCH_CBOR = "application/apply-patch+cbor"

MAX_BODY = 3 * 1024 * 1024

try:  # the C loader is much faster; fall back when PyYAML was built without it
    _YamlLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _YamlLoader = yaml.SafeLoader


@dataclass(slots=True)
class Accept:
    """The response form chosen from the Accept header."""

    media: str = JSON  # JSON or YAML
    table: str = ""  # "", "meta.k8s.io/v1" or "meta.k8s.io/v1beta1"
    partial: str = ""  # "", "PartialObjectMetadata" or "PartialObjectMetadataList"


def _params(part: str) -> tuple[str, dict[str, str]]:
    pieces = [p.strip() for p in part.split(";")]
    params = {}
    for p in pieces[1:]:
        if "=" in p:
            k, v = p.split("=", 1)
            params[k.strip()] = v.strip()
    return pieces[0].lower(), params


def parse_accept(header: str | None) -> Accept:
    if not header:
        return Accept()
    saw_any = False
    for part in header.split(","):
        media, params = _params(part)
        as_ = params.get("as")
        if as_:
            if media != JSON:
                continue
            if as_ == "Table" and params.get("g") == "meta.k8s.io" and params.get("v") in ("v1", "v1beta1"):
                return Accept(JSON, table=f"meta.k8s.io/{params['v']}")
            if as_ in ("PartialObjectMetadata", "PartialObjectMetadataList") and params.get("g") == "meta.k8s.io":
                return Accept(JSON, partial=as_)
            continue
        if media in (JSON, "application/*", "*/*"):
            return Accept(JSON)
        if media in (YAML, "application/x-yaml", "text/yaml"):
            return Accept(YAML)
        if media == PROTOBUF:
            saw_any = True  # we answer JSON if anything else is also accepted
    if saw_any or header.strip():
        raise errors.not_acceptable([JSON, YAML, PROTOBUF, "application/json;stream=watch"])
    return Accept()


def media_type(content_type: str | None) -> str:
    if not content_type:
        return JSON
    return content_type.split(";", 1)[0].strip().lower()


def decode_object(body: bytes, content_type: str | None) -> object:
    """Decode a request body (JSON, YAML, or Kubernetes protobuf for kinds with a field table);
    malformed input is a 400 as upstream words it."""
    if len(body) > MAX_BODY:
        raise errors.request_entity_too_large(f"limit is {MAX_BODY}")
    media = media_type(content_type)
    if media == PROTOBUF:
        return _decode_protobuf(body)
    if media in (YAML, "application/x-yaml", "text/yaml", APPLY_PATCH):
        if body.lstrip()[:1] == b"{":
            # JSON is YAML, and clients (kubectl's apply among them) mostly send JSON here: the
            # JSON parser reads it the way upstream's YAML-to-JSON conversion does, much faster.
            try:
                return orjson.loads(body)
            except orjson.JSONDecodeError:
                pass
        try:
            return yaml.load(body, Loader=_YamlLoader) if body.strip() else None
        except yaml.YAMLError as e:
            raise errors.bad_request(f"error converting YAML to JSON: {_yaml_message(e)}") from None
    if media not in (JSON, JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH):
        raise errors.unsupported_media_type(media, [JSON, YAML, PROTOBUF])
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise errors.bad_request(f"couldn't get version/kind; json parse error: {_json_message(body, e)}") from None


def _decode_protobuf(body: bytes) -> dict:
    # Only kinds with a field table decode; for the rest (custom resources among them) upstream
    # has no protobuf serializer either and answers 415.
    try:
        return protobuf.decode(body)
    except protobuf.UnknownKind:
        raise errors.unsupported_media_type(PROTOBUF, [JSON, YAML]) from None
    except protobuf.ProtobufError as e:
        raise errors.bad_request(str(e)) from None


def _json_message(body: bytes, e: orjson.JSONDecodeError) -> str:
    if not body.strip():
        return "unexpected end of JSON input"
    pos = getattr(e, "pos", 0) or 0
    if pos >= len(body):
        return "unexpected end of JSON input"
    ch = body[pos : pos + 1].decode("utf-8", "replace")
    return f"invalid character '{ch}' looking for beginning of value" if pos == 0 else f"invalid character '{ch}' at offset {pos}: {e.msg}"


def _yaml_message(e: yaml.YAMLError) -> str:
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or str(e)
    if mark is not None:
        return f"yaml: line {mark.line + 1}: {problem}"
    return f"yaml: {problem}"


def encode(obj: object, media: str) -> bytes:
    if media == YAML:
        return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, allow_unicode=True).encode()
    return orjson.dumps(obj)
