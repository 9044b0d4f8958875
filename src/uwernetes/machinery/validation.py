"""Generic validators shared by every kind: names, labels, annotations, ObjectMeta, selectors.

Messages are apimachinery's (`pkg/util/validation`, `pkg/api/validation`), since kubectl shows them.
Each `is_*` returns a list of problem strings (empty when valid), like upstream's `IsDNS1123Label`.
"""

from __future__ import annotations

import re
from typing import Any

from uwernetes.machinery import field
from uwernetes.machinery.field import FieldError, Path

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
LABEL_VALUE_MAX = 63
QUALIFIED_NAME_MAX = 63
TOTAL_ANNOTATION_SIZE = 256 * 1024

_dns1123_label = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL_RE = re.compile(f"^{_dns1123_label}$")
_DNS1123_SUBDOMAIN_RE = re.compile(f"^{_dns1123_label}(\\.{_dns1123_label})*$")
_DNS1035_LABEL_RE = re.compile("^[a-z]([-a-z0-9]*[a-z0-9])?$")
_qname_char = "[A-Za-z0-9]"
_qname_ext = "[-A-Za-z0-9_.]"
_QUALIFIED_NAME_RE = re.compile(f"^({_qname_char}{_qname_ext}*)?{_qname_char}$")
_LABEL_VALUE_RE = re.compile(f"^(({_qname_char}{_qname_ext}*)?{_qname_char})?$")
_C_IDENTIFIER_RE = re.compile("^[A-Za-z_][A-Za-z0-9_]*$")


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    """apimachinery's RegexError, including its quirk: every example is followed by "', "."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    return f"{msg} (e.g. " + " or ".join(f"'{e}', " for e in examples) + f"regex used for validation is '{fmt}')"


def max_len_error(n: int) -> str:
    return f"must be no more than {n} characters"


def is_dns1123_label(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_LABEL_MAX:
        errs.append(max_len_error(DNS1123_LABEL_MAX))
    if not _DNS1123_LABEL_RE.match(value):
        errs.append(
            _regex_error(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                "and must start and end with an alphanumeric character",
                _dns1123_label,
                "my-name",
                "123-abc",
            )
        )
    return errs


def is_dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX))
    if not _DNS1123_SUBDOMAIN_RE.match(value):
        errs.append(
            _regex_error(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                "and must start and end with an alphanumeric character",
                f"{_dns1123_label}(\\.{_dns1123_label})*",
                "example.com",
            )
        )
    return errs


def is_dns1035_label(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_LABEL_MAX:
        errs.append(max_len_error(DNS1123_LABEL_MAX))
    if not _DNS1035_LABEL_RE.match(value):
        errs.append(
            _regex_error(
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
                "alphabetic character, and end with an alphanumeric character",
                "[a-z]([-a-z0-9]*[a-z0-9])?",
                "my-name",
                "abc-123",
            )
        )
    return errs


def is_qualified_name(value: str) -> list[str]:
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part " + "must be non-empty")
        else:
            errs.extend("prefix part " + m for m in is_dns1123_subdomain(prefix))
    else:
        return [
            _regex_error(
                "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and "
                "end with an alphanumeric character",
                "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]",
                "MyName",
                "my.name",
                "123-abc",
            )
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part " + "must be non-empty")
    elif len(name) > QUALIFIED_NAME_MAX:
        errs.append("name part " + max_len_error(QUALIFIED_NAME_MAX))
    if name and not _QUALIFIED_NAME_RE.match(name):
        errs.append(
            "name part "
            + _regex_error(
                "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                "alphanumeric character",
                "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]",
                "MyName",
                "my.name",
                "123-abc",
            )
        )
    return errs


def is_valid_label_value(value: str) -> list[str]:
    errs = []
    if len(value) > LABEL_VALUE_MAX:
        errs.append(max_len_error(LABEL_VALUE_MAX))
    if not _LABEL_VALUE_RE.match(value):
        errs.append(
            _regex_error(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                "and must start and end with an alphanumeric character",
                "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?",
                "MyValue",
                "my_value",
                "12345",
            )
        )
    return errs


def is_c_identifier(value: str) -> list[str]:
    if _C_IDENTIFIER_RE.match(value):
        return []
    return [
        _regex_error(
            "a valid C identifier must start with alphabetic character or '_', followed by a string of "
            "alphanumeric characters or '_'",
            "[A-Za-z_][A-Za-z0-9_]*",
            "my_name",
            "MY_NAME",
            "MyName",
        )
    ]


_ENV_VAR_RE = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")


def is_env_var_name(value: str) -> list[str]:
    errs = []
    if not _ENV_VAR_RE.match(value):
        errs.append(
            _regex_error(
                "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or "
                "'.', and must not start with a digit",
                "[-._a-zA-Z][-._a-zA-Z0-9]*",
                "my.env-name",
                "MY_ENV.NAME",
                "MyEnvName1",
            )
        )
    errs.extend(_relative_path_errors(value))
    return errs


_CONFIG_MAP_KEY_RE = re.compile(r"^[-._a-zA-Z0-9]+$")


def is_config_map_key(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX))
    if not _CONFIG_MAP_KEY_RE.match(value):
        errs.append(
            _regex_error(
                "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                "[-._a-zA-Z0-9]+",
                "key.name",
                "KEY_NAME",
                "key-name",
            )
        )
    errs.extend(_relative_path_errors(value))
    return errs


def _relative_path_errors(value: str) -> list[str]:
    if value == ".":
        return ["must not be '.'"]
    if value == "..":
        return ["must not be '..'"]
    if value.startswith(".."):
        return ["must not start with '..'"]
    return []


def is_valid_port_num(port: Any) -> list[str]:
    if isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535:
        return []
    return ["must be between 1 and 65535, inclusive"]


# --- field-level helpers ---


def name_errors(value: str, path: Path | str, check=is_dns1123_subdomain) -> list[FieldError]:
    return [field.invalid(path, value, m) for m in check(value)]


def validate_labels(labels: Any, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    if labels is None:
        return errs
    if not isinstance(labels, dict):
        return [field.invalid(path, labels, "must be a map of string keys to string values")]
    for k, v in labels.items():
        errs.extend(field.invalid(path, k, m) for m in is_qualified_name(k))
        if not isinstance(v, str):
            errs.append(field.invalid(path.key(k), v, "must be a string"))
            continue
        errs.extend(field.invalid(path, v, m) for m in is_valid_label_value(v))
    return errs


def validate_annotations(annotations: Any, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    if annotations is None:
        return errs
    if not isinstance(annotations, dict):
        return [field.invalid(path, annotations, "must be a map of string keys to string values")]
    total = 0
    for k, v in annotations.items():
        errs.extend(field.invalid(path, k, m) for m in is_qualified_name(k.lower()))
        total += len(k) + len(v if isinstance(v, str) else "")
    if total > TOTAL_ANNOTATION_SIZE:
        errs.append(field.too_long(path, "", TOTAL_ANNOTATION_SIZE))
    return errs


def _validate_owner_references(refs: Any, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    if refs is None:
        return errs
    controllers = 0
    for i, ref in enumerate(refs):
        p = path.index(i)
        if not ref.get("apiVersion"):
            errs.append(field.invalid(p.child("apiVersion"), ref.get("apiVersion", ""), "version must not be empty"))
        if not ref.get("kind"):
            errs.append(field.invalid(p.child("kind"), ref.get("kind", ""), "kind must not be empty"))
        if not ref.get("name"):
            errs.append(field.invalid(p.child("name"), ref.get("name", ""), "name must not be empty"))
        if not ref.get("uid"):
            errs.append(field.invalid(p.child("uid"), ref.get("uid", ""), "uid must not be empty"))
        if ref.get("controller"):
            controllers += 1
    if controllers > 1:
        errs.append(field.invalid(path, refs, "Only one reference can have Controller set to true"))
    return errs


def validate_object_meta(
    meta: Any,
    namespaced: bool,
    path: Path | None = None,
    name_check=is_dns1123_subdomain,
) -> list[FieldError]:
    """Upstream's ValidateObjectMeta for a create."""
    path = path or Path("metadata")
    if not isinstance(meta, dict):
        return [field.required(path, "")]
    errs: list[FieldError] = []
    name = meta.get("name") or ""
    generate = meta.get("generateName") or ""
    if generate:
        # The name to be will be generateName plus a suffix; check the prefix.
        trimmed = generate[:-1] if generate.endswith("-") else generate
        errs.extend(field.invalid(path.child("generateName"), generate, m) for m in name_check(trimmed))
    if not name:
        errs.append(field.required(path.child("name"), "name or generateName is required"))
    else:
        errs.extend(field.invalid(path.child("name"), name, m) for m in name_check(name))
    ns = meta.get("namespace") or ""
    if namespaced:
        if not ns:
            errs.append(field.required(path.child("namespace"), ""))
        else:
            errs.extend(field.invalid(path.child("namespace"), ns, m) for m in is_dns1123_label(ns))
    elif ns:
        errs.append(field.forbidden(path.child("namespace"), "not allowed on this type"))
    gen = meta.get("generation")
    if isinstance(gen, int) and gen < 0:
        errs.append(field.invalid(path.child("generation"), gen, "must be greater than or equal to 0"))
    errs.extend(validate_labels(meta.get("labels"), path.child("labels")))
    errs.extend(validate_annotations(meta.get("annotations"), path.child("annotations")))
    errs.extend(_validate_owner_references(meta.get("ownerReferences"), path.child("ownerReferences")))
    errs.extend(_validate_finalizers(meta.get("finalizers"), path.child("finalizers")))
    return errs


def _validate_finalizers(finalizers: Any, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    if not finalizers:
        return errs
    seen = set()
    for i, f in enumerate(finalizers):
        errs.extend(field.invalid(path.index(i), f, m) for m in is_qualified_name(f))
        if "/" not in f and f not in ("kubernetes", "orphan", "foregroundDeletion"):
            errs.append(
                field.invalid(
                    path.index(i),
                    f,
                    "name is neither a standard finalizer name nor is it fully qualified",
                )
            )
        seen.add(f)
    if "orphan" in seen and "foregroundDeletion" in seen:
        errs.append(field.invalid(path, finalizers, "finalizer orphan and foregroundDeletion cannot be both set"))
    return errs


def validate_object_meta_update(new: dict, old: dict, path: Path | None = None) -> list[FieldError]:
    """Upstream's ValidateObjectMetaUpdate: identity fields are immutable."""
    path = path or Path("metadata")
    errs: list[FieldError] = []
    for key in ("name", "namespace", "uid", "creationTimestamp"):
        if new.get(key) != old.get(key) and not (key == "creationTimestamp" and not new.get(key)):
            errs.append(field.invalid(path.child(key), new.get(key), "field is immutable"))
    if old.get("deletionTimestamp") and new.get("deletionTimestamp") != old.get("deletionTimestamp"):
        errs.append(field.invalid(path.child("deletionTimestamp"), new.get("deletionTimestamp"), "field is immutable; may only be changed via deletion"))
    errs.extend(validate_labels(new.get("labels"), path.child("labels")))
    errs.extend(validate_annotations(new.get("annotations"), path.child("annotations")))
    errs.extend(_validate_owner_references(new.get("ownerReferences"), path.child("ownerReferences")))
    errs.extend(_validate_finalizers(new.get("finalizers"), path.child("finalizers")))
    return errs


def validate_immutable(new: Any, old: Any, path: Path | str) -> list[FieldError]:
    if new != old:
        return [field.invalid(path, new, "field is immutable")]
    return []


def validate_nonnegative(value: Any, path: Path | str) -> list[FieldError]:
    if isinstance(value, int) and value < 0:
        return [field.invalid(path, value, "must be greater than or equal to 0")]
    return []


_SELECTOR_OPS = ("In", "NotIn", "Exists", "DoesNotExist")


def validate_label_selector(selector: Any, path: Path) -> list[FieldError]:
    """metav1 LabelSelector validation (unversioned ValidateLabelSelector)."""
    errs: list[FieldError] = []
    if selector is None:
        return errs
    errs.extend(validate_labels(selector.get("matchLabels"), path.child("matchLabels")))
    for i, req in enumerate(selector.get("matchExpressions") or []):
        p = path.child("matchExpressions").index(i)
        op = req.get("operator")
        values = req.get("values") or []
        if op in ("In", "NotIn"):
            if not values:
                errs.append(field.required(p.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                errs.append(field.forbidden(p.child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        else:
            errs.append(field.invalid(p.child("operator"), op, "not a valid selector operator"))
        errs.extend(field.invalid(p.child("key"), req.get("key"), m) for m in is_qualified_name(req.get("key") or ""))
    return errs
