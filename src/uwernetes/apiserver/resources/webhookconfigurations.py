"""Validating- and MutatingWebhookConfigurations (admissionregistration.k8s.io/v1): upstream's
`pkg/registry/admissionregistration/{validating,mutating}webhookconfiguration/strategy.go`,
`ValidateValidatingWebhookConfiguration[Update]` and `apiserver/pkg/util/webhook/validation.go`.

Updates are judged more leniently where the old object already broke a newer rule (side effects
Some/Unknown, unrecognised AdmissionReview versions, duplicate names, loose selector values), and
unchanged matchConditions are not compiled again, as upstream does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from uwernetes.apiserver.resources import admissionregistration_common as common
from uwernetes.apiserver.resources import core_common
from uwernetes.apiserver.resources.base import Column, Context, Obj, Printer, ResourceType, Strategy
from uwernetes.machinery import field, validation
from uwernetes.machinery.field import FieldError, Path

ALL_SIDE_EFFECTS = ("None", "NoneOnDryRun", "Some", "Unknown")
NO_SIDE_EFFECTS = ("None", "NoneOnDryRun")
REINVOCATION_POLICIES = ("IfNeeded", "Never")
ACCEPTED_REVIEW_VERSIONS = ("v1", "v1beta1")
URL_FORM = "; desired format: https://host[/path]"


@dataclass(frozen=True)
class Options:
    """validationOptions: what an update may keep from the old object."""

    ignore_match_conditions: bool = False
    require_no_side_effects: bool = True
    require_recognized_review_version: bool = True
    require_unique_names: bool = True
    strict_selector_values: bool = True


# --- defaulting (SetDefaults_ValidatingWebhook / _MutatingWebhook) ---


def default_webhooks(obj: Obj, mutating: bool) -> None:
    for hook in obj.get("webhooks") or ():
        if not isinstance(hook, dict):
            continue
        if hook.get("failurePolicy") is None:
            hook["failurePolicy"] = "Fail"
        if hook.get("matchPolicy") is None:
            hook["matchPolicy"] = "Equivalent"
        common.default_selectors(hook)
        if hook.get("timeoutSeconds") is None:
            hook["timeoutSeconds"] = 10
        if mutating and hook.get("reinvocationPolicy") is None:
            hook["reinvocationPolicy"] = "Never"
        for rule in hook.get("rules") or ():
            common.default_rule(rule)
        service = (hook.get("clientConfig") or {}).get("service")
        if isinstance(service, dict) and service.get("port") is None:
            service["port"] = 443


# --- clientConfig (apiserver/pkg/util/webhook) ---


def validate_webhook_url(path: Path, url: str) -> list[FieldError]:
    try:
        u = urlsplit(url)
        host = u.netloc.rpartition("@")[2]
    except ValueError as e:
        return [field.required(path, f"url must be a valid URL: parse {field.go_quote(url)}: {e}{URL_FORM}")]
    errs: list[FieldError] = []
    if u.scheme != "https":
        errs.append(field.invalid(path, u.scheme, "'https' is the only allowed URL scheme" + URL_FORM))
    if not host:
        errs.append(field.invalid(path, host, "host must be provided" + URL_FORM))
    if "@" in u.netloc:
        errs.append(field.invalid(path, u.netloc.rpartition("@")[0], "user information is not permitted in the URL"))
    if u.fragment:
        errs.append(field.invalid(path, u.fragment, "fragments are not permitted in the URL"))
    if u.query:
        errs.append(field.invalid(path, u.query, "query parameters are not permitted in the URL"))
    return errs


def validate_webhook_service(path: Path, service: dict) -> list[FieldError]:
    errs: list[FieldError] = []
    if not service.get("name"):
        errs.append(field.required(path.child("name"), "service name is required"))
    if not service.get("namespace"):
        errs.append(field.required(path.child("namespace"), "service namespace is required"))
    port = service.get("port", 443)
    if validation.is_valid_port_num(port):
        errs.append(field.invalid(path.child("port"), port, "port is not valid: " + ", ".join(validation.is_valid_port_num(port))))
    url_path = service.get("path")
    if url_path is None or url_path in ("", "/"):
        return errs
    if url_path == "//":
        return errs + [field.invalid(path.child("path"), url_path, "segment[0] may not be empty")]
    if not url_path.startswith("/"):
        errs.append(field.invalid(path.child("path"), url_path, "must start with a '/'"))
    to_check = url_path[1:]
    if to_check.endswith("/"):
        to_check = to_check[:-1]
    for i, step in enumerate(to_check.split("/")):
        if not step:
            errs.append(field.invalid(path.child("path"), url_path, f"segment[{i}] may not be empty"))
            continue
        errs.extend(field.invalid(path.child("path"), url_path, f"segment[{i}]: {m}") for m in validation.is_dns1123_subdomain(step))
    return errs


def validate_client_config(cc: Any, path: Path) -> list[FieldError]:
    cc = cc if isinstance(cc, dict) else {}
    url, service = cc.get("url"), cc.get("service")
    if (url is None) == (service is None):
        return [field.required(path, "exactly one of url or service is required")]
    if url is not None:
        return validate_webhook_url(path.child("url"), url)
    return validate_webhook_service(path.child("service"), service if isinstance(service, dict) else {})


# --- one webhook ---


def is_fully_qualified_name(path: Path, name: str) -> list[FieldError]:
    if not name:
        return [field.required(path, "")]
    msgs = validation.is_dns1123_subdomain(name)
    if msgs:
        return [field.invalid(path, name, ",".join(msgs))]
    if len(name.split(".")) < 3:
        return [field.invalid(path, name, "should be a domain with at least three segments separated by dots")]
    return []


def validate_webhook(hook: Any, opts: Options, path: Path, mutating: bool) -> list[FieldError]:
    hook = hook if isinstance(hook, dict) else {}
    errs = is_fully_qualified_name(path.child("name"), hook.get("name") or "")
    for i, rule in enumerate(hook.get("rules") or ()):
        errs.extend(common.validate_rule_with_operations(rule, path.child("rules").index(i)))
    failure = hook.get("failurePolicy")
    if failure is not None and failure not in common.FAILURE_POLICIES:
        errs.append(field.not_supported(path.child("failurePolicy"), failure, list(common.FAILURE_POLICIES)))
    match = hook.get("matchPolicy")
    if match is not None and match not in common.MATCH_POLICIES:
        errs.append(field.not_supported(path.child("matchPolicy"), match, list(common.MATCH_POLICIES)))
    allowed = NO_SIDE_EFFECTS if opts.require_no_side_effects else ALL_SIDE_EFFECTS
    side_effects = hook.get("sideEffects")
    if side_effects is None:
        errs.append(field.required(path.child("sideEffects"), "must specify one of " + ", ".join(allowed)))
    elif side_effects not in allowed:
        errs.append(field.not_supported(path.child("sideEffects"), side_effects, list(allowed)))
    timeout = hook.get("timeoutSeconds")
    if isinstance(timeout, int) and not 1 <= timeout <= 30:
        errs.append(field.invalid(path.child("timeoutSeconds"), timeout, "the timeout value must be between 1 and 30 seconds"))
    for key in ("namespaceSelector", "objectSelector"):
        errs.extend(common.validate_label_selector(hook.get(key), path.child(key), strict_values=opts.strict_selector_values))
    reinvocation = hook.get("reinvocationPolicy")
    if mutating and reinvocation is not None and reinvocation not in REINVOCATION_POLICIES:
        errs.append(field.not_supported(path.child("reinvocationPolicy"), reinvocation, list(REINVOCATION_POLICIES)))
    errs.extend(validate_client_config(hook.get("clientConfig"), path.child("clientConfig")))
    if not opts.ignore_match_conditions:
        errs.extend(common.validate_match_conditions(hook.get("matchConditions"), path.child("matchConditions"), params=False))
    return errs


def validate_review_versions(versions: Any, require_recognized: bool, path: Path) -> list[FieldError]:
    versions = versions if isinstance(versions, list) else []
    if not versions:
        return [field.required(path, "must specify one of " + ", ".join(ACCEPTED_REVIEW_VERSIONS))]
    errs: list[FieldError] = []
    seen: set[str] = set()
    for i, v in enumerate(versions):
        if v in seen:
            errs.append(field.invalid(path.index(i), v, "duplicate version"))
            continue
        seen.add(v)
        errs.extend(field.invalid(path.index(i), v, m) for m in validation.is_dns1035_label(v))
    if require_recognized and not seen.intersection(ACCEPTED_REVIEW_VERSIONS):
        errs.append(field.invalid(path, versions, "must include at least one of " + ", ".join(ACCEPTED_REVIEW_VERSIONS)))
    return errs


def validate_configuration(obj: Obj, opts: Options, mutating: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, hook in enumerate(obj.get("webhooks") or ()):
        p = Path("webhooks").index(i)
        errs.extend(validate_webhook(hook, opts, p, mutating))
        hook = hook if isinstance(hook, dict) else {}
        errs.extend(validate_review_versions(hook.get("admissionReviewVersions"), opts.require_recognized_review_version, p.child("admissionReviewVersions")))
        name = hook.get("name") or ""
        if opts.require_unique_names and name:
            if name in names:
                errs.append(field.duplicate(p.child("name"), name))
            names.add(name)
    return errs


def update_options(new: Obj, old: Obj) -> Options:
    """What the old webhooks already had decides how strict the update is."""
    new_hooks = [h if isinstance(h, dict) else {} for h in new.get("webhooks") or ()]
    old_hooks = [h if isinstance(h, dict) else {} for h in old.get("webhooks") or ()]
    same_conditions = len(new_hooks) == len(old_hooks) and all(
        n.get("matchConditions") == o.get("matchConditions") for n, o in zip(new_hooks, old_hooks, strict=True)
    )
    old_names = [h.get("name") for h in old_hooks]
    return replace(
        Options(),
        ignore_match_conditions=same_conditions,
        require_no_side_effects=all(h.get("sideEffects") in NO_SIDE_EFFECTS for h in old_hooks),
        require_recognized_review_version=all(
            not h.get("admissionReviewVersions") or set(h["admissionReviewVersions"]) & set(ACCEPTED_REVIEW_VERSIONS)
            for h in old_hooks
        ),
        require_unique_names=len(old_names) == len(set(old_names)),
        strict_selector_values=not any(
            common.validate_label_selector(h.get(k), Path(k)) for h in old_hooks for k in ("namespaceSelector", "objectSelector")
        ),
    )


class WebhookConfigurationStrategy(Strategy):
    # Generation is 1 on create and bumps when `webhooks` change (the only non-meta field).
    tracks_generation = True
    mutating = False

    def default(self, obj: Obj) -> None:
        default_webhooks(obj, self.mutating)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_configuration(obj, Options(), self.mutating)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_configuration(new, update_options(new, old), self.mutating)


class MutatingWebhookConfigurationStrategy(WebhookConfigurationStrategy):
    mutating = True


def table_row(obj: Obj, now: datetime | None = None) -> list[Any]:
    return [core_common.name_of(obj), len(obj.get("webhooks") or ()), core_common.age(obj, now)]


PRINTER = Printer(
    columns=[
        core_common.name_column(),
        Column("Webhooks", "integer", "", "Webhooks indicates the number of webhooks registered in this configuration"),
        core_common.age_column(),
    ],
    row=table_row,
)

VALIDATINGWEBHOOKCONFIGURATIONS = ResourceType(
    group=common.GROUP,
    version="v1",
    kind="ValidatingWebhookConfiguration",
    plural="validatingwebhookconfigurations",
    namespaced=False,
    categories=("api-extensions",),
    strategy=WebhookConfigurationStrategy(),
    printer=PRINTER,
)

MUTATINGWEBHOOKCONFIGURATIONS = ResourceType(
    group=common.GROUP,
    version="v1",
    kind="MutatingWebhookConfiguration",
    plural="mutatingwebhookconfigurations",
    namespaced=False,
    categories=("api-extensions",),
    strategy=MutatingWebhookConfigurationStrategy(),
    printer=PRINTER,
)
