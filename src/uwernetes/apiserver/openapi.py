"""OpenAPI v3, served as upstream serves it: an index at `/openapi/v3` and one document per group-version.

kubectl depends on it (wire.md §4): it looks for a PATCH operation with the kind's
`x-kubernetes-group-version-kind` listing the `fieldValidation` parameter before it sends
`fieldValidation=Strict`; it computes client-side apply patches as strategic merge patches only when
that operation accepts `application/strategic-merge-patch+json` (built-in kinds, never CRDs); and
`kubectl explain` walks `components.schemas`.

Schemas come from `kubernetes-validate`'s JSON-Schema-ised v1.30 definitions, converted back to
OpenAPI v3 the way upstream writes them. Documents are built on first request and cached as bytes;
the index needs only hashes, which are taken over everything a document is built from, so listing
the index never builds a document.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from uwernetes.apiserver.resources.base import ResourceType, Subresource
from uwernetes.machinery import schemas

KUBE_VERSION = "v1.30.0"
# Bump when the document layout changes, so hashes (and kubectl's caches) move with it.
_LAYOUT = "1"

_REF = "#/components/schemas/"
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_DELETE_OPTIONS = _META + "DeleteOptions"
_STATUS = _META + "Status"
_PATCH = _META + "Patch"
_OBJECT_META = _META + "ObjectMeta"
_LIST_META = _META + "ListMeta"

# Subresources served with the parent's own schema (status, ephemeral containers).
_SAME_KIND_SUBRESOURCES = frozenset({"status", "ephemeralcontainers", "resize"})

JSON = "application/json"
YAML = "application/yaml"
PATCH_TYPES_CUSTOM = (
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
)
SMP = "application/strategic-merge-patch+json"


# --- schema conversion (JSON-Schema-ised -> OpenAPI v3) ---

# Upstream writes these two with OpenAPIV3OneOfTypes; the JSON-Schema form lost their descriptions.
ONE_OF_DEFINITIONS: dict[str, dict[str, Any]] = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
        "description": "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML "
        "marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, "
        "for example, a JSON field that can accept a name or number.",
        "format": "int-or-string",
        "oneOf": [{"type": "integer"}, {"type": "string"}],
    },
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {
        "description": "Quantity is a fixed-point representation of a number. It provides convenient "
        "marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors.\n\n"
        "The serialization format is:\n\n"
        "``` <quantity>        ::= <signedNumber><suffix>\n```\n\n"
        "No matter which of the three exponent forms is used, no quantity may represent a number greater "
        "than 2^63-1 in magnitude, nor may it have more than 3 decimal places.",
        "oneOf": [{"type": "string"}, {"type": "number"}],
    },
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def convert(node: dict[str, Any], *, type_meta: bool = False) -> dict[str, Any]:
    """One schema node in OpenAPI v3 form.

    `$ref`s point into `components.schemas`; a ref with siblings (description, default) is wrapped
    as `allOf: [{$ref}]` as upstream does; `type: [T, "null"]` becomes `type: T`; the `enum` the
    JSON-Schema conversion put on apiVersion/kind (`type_meta`) goes; `additionalProperties: true`
    (which crashes kubectl 1.30.0 explain) becomes nothing, since an object without properties is
    already free-form.
    """
    out: dict[str, Any] = {}
    ref = node.get("$ref")
    for key, value in node.items():
        if key == "$ref":
            continue
        if key == "type":
            if isinstance(value, list):
                kinds = [t for t in value if t != "null"]
                if not kinds:
                    continue
                value = kinds[0] if len(kinds) == 1 else kinds
            out["type"] = value
        elif key == "enum" and type_meta:
            continue
        elif key == "properties":
            out["properties"] = {
                name: convert(sub, type_meta=name in ("apiVersion", "kind")) for name, sub in value.items()
            }
        elif key in ("items", "not") and isinstance(value, dict):
            out[key] = convert(value)
        elif key == "additionalProperties":
            if isinstance(value, dict):
                out[key] = convert(value)
            elif value is False:
                out[key] = False
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [convert(v) for v in value]
        else:
            out[key] = value
    if ref is not None:
        target = _REF + ref.rsplit("/", 1)[-1]
        if out:
            return {"allOf": [{"$ref": target}], **out}
        return {"$ref": target}
    return out


@functools.cache
def _definition(name: str) -> dict[str, Any]:
    """A built-in definition in v3 form (cached: definitions are shared across documents)."""
    special = ONE_OF_DEFINITIONS.get(name)
    if special is not None:
        return special
    return convert(schemas.definitions()[name])


def _refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            out.add(ref.rsplit("/", 1)[-1])
        for key, value in node.items():
            if key == "properties":
                for sub in value.values():
                    _refs(sub, out)
            elif isinstance(value, dict | list):
                _refs(value, out)
    elif isinstance(node, list):
        for v in node:
            _refs(v, out)


@functools.cache
def _direct_refs(name: str) -> frozenset[str]:
    found: set[str] = set()
    _refs(schemas.definitions().get(name, {}), found)
    return frozenset(found)


def closure(roots: Iterable[str], extra: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """Names of every definition reachable from `roots` (built-in definitions and `extra` ones)."""
    extra = extra or {}
    defs = schemas.definitions()
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        if name in extra:
            seen.add(name)
            found: set[str] = set()
            _refs(extra[name], found)
            stack.extend(found)
        elif name in defs:
            seen.add(name)
            stack.extend(_direct_refs(name))
    return sorted(seen)


# --- names ---


def group_friendly(group: str) -> str:
    """`""` -> `Core`, `rbac.authorization.k8s.io` -> `RbacAuthorization`, `example.com` -> `ExampleCom`."""
    if not group:
        return "Core"
    if group.endswith(".k8s.io"):
        group = group[: -len(".k8s.io")]
    return "".join(part[:1].upper() + part[1:] for part in group.replace("-", ".").split(".") if part)


def gv_path(group: str, version: str) -> str:
    """The index key: `api/v1`, `apis/apps/v1`."""
    return f"apis/{group}/{version}" if group else f"api/{version}"


def crd_definition_name(group: str, version: str, kind: str) -> str:
    """Upstream's REST-friendly name for a CRD schema: `stable.example.com` v1 `CronTab` -> `com.example.stable.v1.CronTab`."""
    return ".".join([*reversed(group.split(".")), version, kind])


# --- operations ---


def _param(name: str, where: str, description: str, type_: str = "string", required: bool = False) -> dict:
    p: dict[str, Any] = {"description": description, "in": where, "name": name}
    if required:
        p["required"] = True
    p["schema"] = {"type": type_, "uniqueItems": True}
    return p


_DRY_RUN = _param(
    "dryRun",
    "query",
    "When present, indicates that modifications should not be persisted. An invalid or unrecognized "
    "dryRun directive will result in an error response and no further processing of the request. "
    "Valid values are: - All: all dry run stages will be processed",
)
_FIELD_MANAGER = _param(
    "fieldManager",
    "query",
    "fieldManager is a name associated with the actor or entity that is making these changes. The value "
    "must be less than or 128 characters long, and only contain printable characters, as defined by "
    "https://golang.org/pkg/unicode/#IsPrint.",
)
_FIELD_MANAGER_PATCH = _param(
    "fieldManager",
    "query",
    _FIELD_MANAGER["description"] + " This field is required for apply requests (application/apply-patch) "
    "but optional for non-apply patch types (JsonPatch, MergePatch, StrategicMergePatch).",
)
_FIELD_VALIDATION = _param(
    "fieldValidation",
    "query",
    "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) "
    "containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown "
    "fields that are silently dropped from the object, and will ignore all but the last duplicate field "
    "that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a "
    "warning via the standard warning response header for each unknown field that is dropped from the "
    "object, and for each duplicate field that is encountered. The request will still succeed if there "
    "are no other errors, and will only persist the last of any duplicate fields. This is the default in "
    "v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be "
    "dropped from the object, or if any duplicate fields are present. The error returned from the server "
    "will contain all unknown and duplicate fields encountered.",
)
_FORCE = _param(
    "force",
    "query",
    'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by '
    "other people. Force flag must be unset for non-apply patch requests.",
    "boolean",
)
_PRETTY = _param(
    "pretty",
    "query",
    "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a "
    "browser or command-line HTTP tool (curl and wget).",
)
_NAMESPACE = _param(
    "namespace", "path", "object name and auth scope, such as for teams and projects", required=True
)
_GRACE = _param(
    "gracePeriodSeconds",
    "query",
    "The duration in seconds before the object should be deleted. Value must be non-negative integer. "
    "The value zero indicates delete immediately. If this value is nil, the default grace period for the "
    "specified type will be used. Defaults to a per object value if not specified. zero means delete "
    "immediately.",
    "integer",
)
_ORPHAN = _param(
    "orphanDependents",
    "query",
    "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the "
    'dependent objects be orphaned. If true/false, the "orphan" finalizer will be added to/removed from '
    "the object's finalizers list. Either this field or PropagationPolicy may be set, but not both.",
    "boolean",
)
_PROPAGATION = _param(
    "propagationPolicy",
    "query",
    "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be "
    "set, but not both. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the "
    "garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy "
    "that deletes all dependents in the foreground.",
)
_LIST_PARAMS = [
    _param(
        "allowWatchBookmarks",
        "query",
        'allowWatchBookmarks requests watch events with type "BOOKMARK".',
        "boolean",
    ),
    _param(
        "continue", "query", "The continue option should be set when retrieving more results from the server."
    ),
    _param(
        "fieldSelector",
        "query",
        "A selector to restrict the list of returned objects by their fields. Defaults to everything.",
    ),
    _param(
        "labelSelector",
        "query",
        "A selector to restrict the list of returned objects by their labels. Defaults to everything.",
    ),
    _param("limit", "query", "limit is a maximum number of responses to return for a list call.", "integer"),
    _param(
        "resourceVersion",
        "query",
        "resourceVersion sets a constraint on what resource versions a request may be served from.",
    ),
    _param(
        "resourceVersionMatch",
        "query",
        "resourceVersionMatch determines how resourceVersion is applied to list calls.",
    ),
    _param(
        "sendInitialEvents",
        "query",
        "`sendInitialEvents=true` may be set together with `watch=true`.",
        "boolean",
    ),
    _param(
        "timeoutSeconds",
        "query",
        "Timeout for the list/watch call. This limits the duration of the call, regardless of any "
        "activity or inactivity.",
        "integer",
    ),
    _param(
        "watch",
        "query",
        "Watch for changes to the described resources and return them as a stream of add, update, and "
        "remove notifications. Specify resourceVersion.",
        "boolean",
    ),
]
_DELETECOLLECTION_PARAMS = [
    _LIST_PARAMS[1],
    _DRY_RUN,
    _LIST_PARAMS[2],
    _GRACE,
    _LIST_PARAMS[3],
    _LIST_PARAMS[4],
    _ORPHAN,
    _PROPAGATION,
    _LIST_PARAMS[5],
    _LIST_PARAMS[6],
    _LIST_PARAMS[7],
    _LIST_PARAMS[8],
]


def _name_param(kind: str) -> dict[str, Any]:
    return _param("name", "path", f"name of the {kind}", required=True)


def _content(schema_name: str, watch: bool = False) -> dict[str, Any]:
    ref = {"schema": _ref(schema_name)}
    content = {JSON: ref}
    if watch:
        content[JSON + ";stream=watch"] = ref
    content[YAML] = ref
    return content


def _responses(schema_name: str, codes: tuple[tuple[str, str], ...], watch: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        code: {"content": _content(schema_name, watch), "description": text} for code, text in codes
    }
    out["401"] = {"description": "Unauthorized"}
    return out


_OK = (("200", "OK"),)
_CREATED = (("200", "OK"), ("201", "Created"), ("202", "Accepted"))
_REPLACED = (("200", "OK"), ("201", "Created"))
_DELETED = (("200", "OK"), ("202", "Accepted"))


@dataclass(frozen=True)
class _Target:
    """What an operation reads and writes: the kind its GVK names and the schema of its body."""

    group: str
    version: str
    kind: str
    schema: str

    def gvk(self) -> dict[str, str]:
        return {"group": self.group, "kind": self.kind, "version": self.version}


class _Ops:
    """Builds the operations of one resource; names follow upstream's operationId scheme."""

    def __init__(self, rt: ResourceType, target: _Target, list_schema: str | None) -> None:
        self.rt = rt
        self.target = target
        self.list_schema = list_schema
        self.gv = group_friendly(rt.group) + rt.version[:1].upper() + rt.version[1:]
        tag_group = group_friendly(rt.group)
        self.tag = f"{tag_group[:1].lower()}{tag_group[1:]}_{rt.version}"
        self.scope = "Namespaced" if rt.namespaced else ""

    def op_id(self, verb: str, suffix: str = "", collection: bool = False) -> str:
        middle = "Collection" if collection else ""
        return f"{verb}{self.gv}{middle}{self.scope}{self.rt.kind}{suffix}"

    def operation(
        self,
        description: str,
        op_id: str,
        action: str,
        params: list[dict[str, Any]],
        responses: dict[str, Any],
        target: _Target | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        target = target or self.target
        op: dict[str, Any] = {"description": description, "operationId": op_id}
        if params:
            op["parameters"] = params
        if body is not None:
            op["requestBody"] = body
        op["responses"] = responses
        op["tags"] = [self.tag]
        op["x-kubernetes-action"] = action
        op["x-kubernetes-group-version-kind"] = target.gvk()
        return op

    def patch_body(self) -> dict[str, Any]:
        types = list(PATCH_TYPES_CUSTOM)
        if self.rt.builtin:
            types.append(SMP)
        return {"content": {t: {"schema": _ref(_PATCH)} for t in sorted(types)}, "required": True}

    @staticmethod
    def write_body(schema_name: str) -> dict[str, Any]:
        return {"content": {"*/*": {"schema": _ref(schema_name)}}, "required": True}

    def collection(self) -> dict[str, Any]:
        rt, kind, verbs = self.rt, self.rt.kind, self.rt.verbs
        item = self.target.schema
        path: dict[str, Any] = {}
        if "deletecollection" in verbs:
            path["delete"] = self.operation(
                f"delete collection of {kind}",
                self.op_id("delete", collection=True),
                "deletecollection",
                _DELETECOLLECTION_PARAMS,
                _responses(_STATUS, _OK),
                body={"content": {"*/*": {"schema": _ref(_DELETE_OPTIONS)}}},
            )
        if "list" in verbs:
            path["get"] = self.operation(
                f"list or watch objects of kind {kind}",
                self.op_id("list"),
                "list",
                _LIST_PARAMS,
                _responses(self.list_schema or item, _OK, watch=True),
            )
        path["parameters"] = [_NAMESPACE, _PRETTY] if rt.namespaced else [_PRETTY]
        if "create" in verbs:
            path["post"] = self.operation(
                f"create a {kind}",
                self.op_id("create"),
                "post",
                [_DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION],
                _responses(item, _CREATED),
                body=self.write_body(item),
            )
        return path

    def all_namespaces(self) -> dict[str, Any]:
        kind = self.rt.kind
        get = self.operation(
            f"list or watch objects of kind {kind}",
            f"list{self.gv}{kind}ForAllNamespaces",
            "list",
            [],
            _responses(self.list_schema or self.target.schema, _OK, watch=True),
        )
        return {"get": get, "parameters": [*_LIST_PARAMS[:5], _PRETTY, *_LIST_PARAMS[5:]]}

    def item(
        self,
        verbs: Iterable[str],
        target: _Target | None = None,
        suffix: str = "",
        what: str = "",
    ) -> dict[str, Any]:
        """The operations on one object (or on one of its subresources, `suffix` = `Status`)."""
        verbs = set(verbs)
        target = target or self.target
        kind = self.rt.kind
        label = f"{what} of the specified {kind}" if what else f"the specified {kind}"
        schema = target.schema
        path: dict[str, Any] = {}
        if "delete" in verbs:
            path["delete"] = self.operation(
                f"delete a {kind}",
                self.op_id("delete", suffix),
                "delete",
                [_DRY_RUN, _GRACE, _ORPHAN, _PROPAGATION],
                _responses(schema, _DELETED),
                target,
                body={"content": {"*/*": {"schema": _ref(_DELETE_OPTIONS)}}},
            )
        if "get" in verbs:
            path["get"] = self.operation(
                f"read {label}", self.op_id("read", suffix), "get", [], _responses(schema, _OK), target
            )
        params = [_name_param(kind)]
        if self.rt.namespaced:
            params.append(_NAMESPACE)
        params.append(_PRETTY)
        path["parameters"] = params
        if "patch" in verbs:
            path["patch"] = self.operation(
                f"partially update {label}",
                self.op_id("patch", suffix),
                "patch",
                [_DRY_RUN, _FIELD_MANAGER_PATCH, _FIELD_VALIDATION, _FORCE],
                _responses(schema, _REPLACED),
                target,
                body=self.patch_body(),
            )
        if "create" in verbs:
            path["post"] = self.operation(
                f"create {what} of a {kind}" if what else f"create a {kind}",
                self.op_id("create", suffix),
                "post",
                [_DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION],
                _responses(schema, _CREATED),
                target,
                body=self.write_body(schema),
            )
        if "update" in verbs:
            path["put"] = self.operation(
                f"replace {label}",
                self.op_id("replace", suffix),
                "put",
                [_DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION],
                _responses(schema, _REPLACED),
                target,
                body=self.write_body(schema),
            )
        return path


# --- documents ---


def _schema_of(rt: ResourceType) -> dict[str, Any] | None:
    """A schema the resource type carries itself (CRDs, later); built-in kinds have none."""
    schema = getattr(rt, "schema", None)
    return schema if isinstance(schema, dict) else None


@functools.cache
def type_meta_docs() -> dict[str, str]:
    """The standard texts upstream gives a custom resource's apiVersion, kind and metadata (and its
    list's metadata): the same as every built-in kind's."""
    pod = schemas.definitions()["io.k8s.api.core.v1.Pod"]["properties"]
    pods = schemas.definitions()["io.k8s.api.core.v1.PodList"]["properties"]
    return {"apiVersion": pod["apiVersion"]["description"], "kind": pod["kind"]["description"],
            "metadata": pod["metadata"]["description"], "listMetadata": pods["metadata"]["description"]}


def _crd_schemas(rt: ResourceType, schema: dict[str, Any]) -> tuple[str, str, dict[str, dict[str, Any]]]:
    """Component schemas for a resource that brings its own (a CRD version): the kind and its list."""
    name = crd_definition_name(rt.group, rt.version, rt.kind)
    list_name = crd_definition_name(rt.group, rt.version, rt.list_kind)
    body = convert(schema)
    docs = type_meta_docs()
    props = dict(body.get("properties") or {})
    props.setdefault("apiVersion", {"description": docs["apiVersion"], "type": "string"})
    props.setdefault("kind", {"description": docs["kind"], "type": "string"})
    props["metadata"] = {"allOf": [_ref(_OBJECT_META)], "description": docs["metadata"]}
    body["properties"] = props
    body.setdefault("type", "object")
    body["x-kubernetes-group-version-kind"] = [{"group": rt.group, "kind": rt.kind, "version": rt.version}]
    listing = {
        "description": f"{rt.kind}List is a list of {rt.kind}",
        "properties": {
            "apiVersion": {"description": docs["apiVersion"], "type": "string"},
            "items": {"description": f"List of {rt.plural}. More info: "
                                     "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md",
                      "items": _ref(name), "type": "array"},
            "kind": {"description": docs["kind"], "type": "string"},
            "metadata": {"allOf": [_ref(_LIST_META)], "description": docs["listMetadata"]},
        },
        "required": ["items"],
        "type": "object",
        "x-kubernetes-group-version-kind": [{"group": rt.group, "kind": rt.list_kind, "version": rt.version}],
    }
    return name, list_name, {name: body, list_name: listing}


def _sub_target(rt: ResourceType, sub: Subresource, parent: _Target) -> _Target | None:
    if sub.kind:
        group = sub.group if sub.group is not None else rt.group
        version = sub.version or rt.version
        name = schemas.by_gvk().get((group, version, sub.kind))
        return _Target(group, version, sub.kind, name) if name else None
    if sub.name in _SAME_KIND_SUBRESOURCES:
        return parent
    return None


def build_document(resource_types: list[ResourceType]) -> dict[str, Any]:
    """The OpenAPI v3 document of one group-version's resources."""
    paths: dict[str, Any] = {}
    extra: dict[str, dict[str, Any]] = {}
    roots: set[str] = {_DELETE_OPTIONS, _STATUS, _PATCH}
    for rt in sorted(resource_types, key=lambda r: r.plural):
        own = _schema_of(rt)
        if own is not None:
            name, list_name, defs = _crd_schemas(rt, own)
            extra.update(defs)
        else:
            found = schemas.by_gvk().get((rt.group, rt.version, rt.kind))
            if found is None:
                continue
            name = found
            list_name = schemas.by_gvk().get((rt.group, rt.version, rt.list_kind))
        roots.add(name)
        if list_name:
            roots.add(list_name)
        target = _Target(rt.group, rt.version, rt.kind, name)
        ops = _Ops(rt, target, list_name)
        prefix = f"/apis/{rt.group}/{rt.version}" if rt.group else f"/api/{rt.version}"
        scope = "/namespaces/{namespace}" if rt.namespaced else ""
        collection = f"{prefix}{scope}/{rt.plural}"
        if {"create", "list", "deletecollection"} & set(rt.verbs):
            paths[collection] = ops.collection()
        item_verbs = {"get", "update", "patch", "delete"} & set(rt.verbs)
        if item_verbs:
            paths[collection + "/{name}"] = ops.item(item_verbs)
        if rt.namespaced and "list" in rt.verbs:
            paths[f"{prefix}/{rt.plural}"] = ops.all_namespaces()
        for sub in rt.subresources:
            sub_target = _sub_target(rt, sub, target)
            verbs = {"get", "update", "patch", "create"} & set(sub.verbs)
            if sub_target is None or not verbs:
                continue
            roots.add(sub_target.schema)
            suffix = sub.name[:1].upper() + sub.name[1:]
            paths[f"{collection}/{{name}}/{sub.name}"] = ops.item(verbs, sub_target, suffix, sub.name)
    components = {}
    for name in closure(roots, extra):
        components[name] = extra[name] if name in extra else _definition(name)
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": KUBE_VERSION},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": components},
    }


def _fingerprint(resource_types: list[ResourceType]) -> str:
    """A hash of everything the document is built from, so it changes exactly when the bytes would."""
    parts: list[Any] = [_LAYOUT, KUBE_VERSION, schemas.SCHEMA_VERSION_DIR]
    for rt in sorted(resource_types, key=lambda r: r.plural):
        parts.append(
            [
                rt.group,
                rt.version,
                rt.kind,
                rt.plural,
                rt.namespaced,
                rt.builtin,
                sorted(rt.verbs),
                [[s.name, sorted(s.verbs), s.group, s.version, s.kind] for s in rt.subresources],
                _schema_of(rt),
            ]
        )
    data = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha512(data).hexdigest().upper()


class OpenAPIV3:
    """The `/openapi/v3` index and per-group-version documents for a set of served resources.

    Immutable once built: when the served set changes (a CRD appears), build a new one; documents
    of unchanged group-versions keep their hash, so kubectl's cache stays valid.
    """

    def __init__(self, resource_types: Iterable[ResourceType]) -> None:
        self._by_gv: dict[str, list[ResourceType]] = {}
        for rt in resource_types:
            self._by_gv.setdefault(gv_path(rt.group, rt.version), []).append(rt)
        self._hashes = {gv: _fingerprint(rts) for gv, rts in self._by_gv.items()}
        self._docs: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def index(self) -> dict[str, Any]:
        return {
            "paths": {
                gv: {"serverRelativeURL": f"/openapi/v3/{gv}?hash={self._hashes[gv]}"}
                for gv in sorted(self._by_gv)
            }
        }

    def hash(self, gv: str) -> str | None:
        return self._hashes.get(gv.strip("/"))

    def document(self, gv: str) -> tuple[bytes, str] | None:
        """The document's JSON bytes and its hash (the ETag), or None for an unknown group-version."""
        gv = gv.strip("/")
        rts = self._by_gv.get(gv)
        if rts is None:
            return None
        doc = self._docs.get(gv)
        if doc is None:
            with self._lock:
                doc = self._docs.get(gv)
                if doc is None:
                    doc = orjson.dumps(build_document(rts))
                    self._docs[gv] = doc
        return doc, self._hashes[gv]
