"""StatefulSets (apps/v1): upstream's `pkg/registry/apps/statefulset/strategy.go`,
`ValidateStatefulSet*` in `pkg/apis/apps/validation`, `SetDefaults_StatefulSet` and
`printStatefulSet`.

Upstream validates only the labels and annotations of a StatefulSet's pod template (its pod
spec is checked when the controller creates pods), so this module does the same. Names are
DNS labels because pods take `<name>-<ordinal>` as their hostname.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from uwernetes import features as features_mod
from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources import deployments as deploy_mod
from uwernetes.apiserver.resources import podspec
from uwernetes.apiserver.resources import replicasets as rs_mod
from uwernetes.apiserver.resources.base import (
    Column,
    Context,
    Obj,
    Printer,
    ResourceType,
    Strategy,
    Subresource,
)
from uwernetes.machinery import field, validation
from uwernetes.machinery.field import FieldError, Path

ORDERED_READY, PARALLEL = "OrderedReady", "Parallel"
ROLLING_UPDATE, ON_DELETE = "RollingUpdate", "OnDelete"
RETAIN, DELETE = "Retain", "Delete"
IMMUTABLE_SPEC_MESSAGE = (
    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', "
    "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
)
# Spec fields an update may change; everything else must stay as stored.
MUTABLE_SPEC_FIELDS = ("replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
                       "minReadySeconds")


def _gate(gates: Any, name: str) -> bool:
    """A gate this build may not list (MaxUnavailableStatefulSet) counts as off."""
    return name in (gates if gates is not None else features_mod.DEFAULT)


def default_statefulset(sts: Obj, gates: Any = None) -> None:
    """SetDefaults_StatefulSet plus the embedded PersistentVolumeClaim defaults."""
    spec = common.spec_of(sts)
    if not spec.get("podManagementPolicy"):
        spec["podManagementPolicy"] = ORDERED_READY
    strategy = spec.get("updateStrategy")
    if not isinstance(strategy, dict):
        strategy = spec["updateStrategy"] = {}
    if not strategy.get("type"):
        strategy["type"] = ROLLING_UPDATE
        if strategy.get("rollingUpdate") is None:
            strategy["rollingUpdate"] = {}
    ru = strategy.get("rollingUpdate")
    if strategy["type"] == ROLLING_UPDATE and isinstance(ru, dict):
        if ru.get("partition") is None:
            ru["partition"] = 0
        if _gate(gates, "MaxUnavailableStatefulSet") and ru.get("maxUnavailable") is None:
            ru["maxUnavailable"] = 1
    if _gate(gates, "StatefulSetAutoDeletePVC"):
        policy = spec.get("persistentVolumeClaimRetentionPolicy")
        if not isinstance(policy, dict):
            policy = spec["persistentVolumeClaimRetentionPolicy"] = {}
        for key in ("whenDeleted", "whenScaled"):
            if not policy.get(key):
                policy[key] = RETAIN
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    for claim in spec.get("volumeClaimTemplates") or ():
        if isinstance(claim, dict):
            default_claim_template(claim)


def default_claim_template(claim: Obj) -> None:
    """SetDefaults_PersistentVolumeClaim(Spec) as the generated defaulter applies them to templates."""
    claim_spec = claim.get("spec")
    if isinstance(claim_spec, dict) and not claim_spec.get("volumeMode"):
        claim_spec["volumeMode"] = "Filesystem"
    status = claim.get("status")
    if not isinstance(status, dict):
        status = claim["status"] = {}
    if not status.get("phase"):
        status["phase"] = "Pending"


def _go_update_strategy(strategy: Obj) -> common.GoLiteral:
    ru = "(*apps.RollingUpdateStatefulSetStrategy)(nil)" if strategy.get("rollingUpdate") is None else "(*apps.RollingUpdateStatefulSetStrategy)(0xc000000000)"
    return common.GoLiteral(f"apps.StatefulSetUpdateStrategy{{Type:{field.go_quote(strategy.get('type') or '')}, RollingUpdate:{ru}}}")


def _go_rolling_update(ru: Obj) -> common.GoLiteral:
    mu = "(*intstr.IntOrString)(nil)" if ru.get("maxUnavailable") is None else "(*intstr.IntOrString)(0xc000000000)"
    return common.GoLiteral(f"apps.RollingUpdateStatefulSetStrategy{{Partition:{common.int_field(ru, 'partition')}, MaxUnavailable:{mu}}}")


def validate_update_strategy(strategy: Any, path: Path) -> list[FieldError]:
    strategy = strategy if isinstance(strategy, dict) else {}
    stype = strategy.get("type") or ""
    ru = strategy.get("rollingUpdate")
    if stype == "":
        return [field.required(path, "")]
    if stype == ON_DELETE:
        if ru is not None:
            return [field.invalid(path.child("rollingUpdate"), _go_rolling_update(ru if isinstance(ru, dict) else {}),
                                  f"only allowed for updateStrategy '{ROLLING_UPDATE}'")]
        return []
    if stype == ROLLING_UPDATE:
        if not isinstance(ru, dict):
            return []
        rp = path.child("rollingUpdate")
        errs = rs_mod.nonneg(ru, "partition", rp)
        mu = ru.get("maxUnavailable")
        if mu is not None:
            mp = rp.child("maxUnavailable")
            errs.extend(deploy_mod.validate_positive_int_or_percent(mu, mp))
            if deploy_mod._int_or_percent_value(mu) == 0:
                errs.append(field.invalid(mp, common.go_int_or_string(mu), "cannot be 0"))
            p = deploy_mod._percent(mu)
            if p is not None and p > 100:
                errs.append(field.invalid(mp, common.go_int_or_string(mu), "must not be greater than 100%"))
        return errs
    return [field.invalid(path, _go_update_strategy(strategy), f"must be '{ROLLING_UPDATE}' or '{ON_DELETE}'")]


def validate_retention_policy(policy: Any, path: Path) -> list[FieldError]:
    if not isinstance(policy, dict):
        return []
    errs: list[FieldError] = []
    for key in ("whenDeleted", "whenScaled"):
        value = policy.get(key) or ""
        if value not in (RETAIN, DELETE):
            errs.append(field.not_supported(path.child(key), value, (RETAIN, DELETE)))
    return errs


def validate_statefulset_spec(sts: Obj) -> list[FieldError]:
    """ValidateStatefulSetSpec."""
    spec = sts.get("spec") or {}
    sp = Path("spec")
    errs: list[FieldError] = []
    policy = spec.get("podManagementPolicy") or ""
    if policy == "":
        errs.append(field.required(sp.child("podManagementPolicy"), ""))
    elif policy not in (ORDERED_READY, PARALLEL):
        errs.append(field.invalid(sp.child("podManagementPolicy"), policy, f"must be '{ORDERED_READY}' or '{PARALLEL}'"))
    errs.extend(validate_update_strategy(spec.get("updateStrategy"), sp.child("updateStrategy")))
    errs.extend(validate_retention_policy(spec.get("persistentVolumeClaimRetentionPolicy"),
                                          sp.child("persistentVolumeClaimRetentionPolicy")))
    errs.extend(rs_mod.nonneg(spec, "replicas", sp))
    errs.extend(rs_mod.nonneg(spec, "minReadySeconds", sp))
    ordinals = spec.get("ordinals")
    if isinstance(ordinals, dict):
        errs.extend(validation.validate_nonnegative(ordinals.get("start"), sp.child("ordinals.start")))
    selector = spec.get("selector")
    if selector is None:
        errs.append(field.required(sp.child("selector"), ""))
    else:
        errs.extend(validation.validate_label_selector(selector, sp.child("selector")))
        if not selector.get("matchLabels") and not selector.get("matchExpressions"):
            errs.append(field.invalid(sp.child("selector"), common.go_label_selector(selector), "empty selector is invalid for statefulset"))
    errs.extend(validate_template(spec.get("template"), selector, sp.child("template")))
    tspec = (spec.get("template") or {}).get("spec") or {}
    restart = tspec.get("restartPolicy") or ""
    if restart != "Always":
        errs.append(field.not_supported(sp.child("template", "spec", "restartPolicy"), restart, ("Always",)))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(field.forbidden(sp.child("template", "spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in StatefulSet is not Supported"))
    return errs


def validate_template(template: Any, selector: Any, path: Path) -> list[FieldError]:
    """ValidatePodTemplateSpecForStatefulSet: selector match, labels and annotations only."""
    if not isinstance(template, dict):
        return [field.required(path, "")]
    meta = template.get("metadata") or {}
    labels = meta.get("labels")
    errs: list[FieldError] = []
    if not common.selector_is_empty(selector) and not common.selector_matches(selector, labels):
        errs.append(field.invalid(path.child("metadata", "labels"), common.go_string_map(labels), "`selector` does not match template `labels`"))
    errs.extend(validation.validate_labels(labels, path.child("labels")))
    errs.extend(validation.validate_annotations(meta.get("annotations"), path.child("annotations")))
    spec = template.get("spec") if isinstance(template.get("spec"), dict) else {}
    errs.extend(podspec.validate_pod_specific_annotations(meta.get("annotations"), spec, path.child("annotations")))
    return errs


def validate_statefulset_update(new: Obj, old: Obj) -> list[FieldError]:
    """ValidateStatefulSetUpdate: the spec again, and only the mutable fields may change."""
    errs = validate_statefulset_spec(new)
    new_spec, old_spec = dict(new.get("spec") or {}), old.get("spec") or {}
    for key in MUTABLE_SPEC_FIELDS:
        if key in old_spec:
            new_spec[key] = old_spec[key]
        else:
            new_spec.pop(key, None)
    if new_spec != old_spec:
        errs.append(field.forbidden("spec", IMMUTABLE_SPEC_MESSAGE))
    return errs


def validate_statefulset_status(new: Obj, old: Obj) -> list[FieldError]:
    status = new.get("status") or {}
    p = Path("status")
    errs: list[FieldError] = []
    for key in ("replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas",
                "observedGeneration", "collisionCount"):
        errs.extend(rs_mod.nonneg(status, key, p))
    replicas = common.int_field(status, "replicas")
    for key in ("readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas"):
        if common.int_field(status, key) > replicas:
            errs.append(field.invalid(p.child(key), status.get(key), "cannot be greater than status.replicas"))
    if common.int_field(status, "availableReplicas") > common.int_field(status, "readyReplicas"):
        errs.append(field.invalid(p.child("availableReplicas"), status.get("availableReplicas"), "cannot be greater than status.readyReplicas"))
    cc, old_cc = status.get("collisionCount"), (old.get("status") or {}).get("collisionCount")
    if isinstance(old_cc, int) and (not isinstance(cc, int) or cc < old_cc):
        errs.append(field.invalid(p.child("collisionCount"), cc if isinstance(cc, int) else 0, "cannot be decremented"))
    return errs


def drop_disabled_fields(new: Obj, old: Obj | None, ctx: Context | None) -> None:
    """maxUnavailable is alpha (MaxUnavailableStatefulSet): dropped unless already in use."""
    rs_mod.drop_disabled_template_fields(new, old, ctx)
    ru = ((new.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate")
    if not isinstance(ru, dict) or _gate(common.gates(ctx), "MaxUnavailableStatefulSet"):
        return
    old_ru = (((old or {}).get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate") or {}
    if old_ru.get("maxUnavailable") is None:
        ru.pop("maxUnavailable", None)


class StatefulSetStrategy(Strategy):
    has_status = True
    name_check = staticmethod(validation.is_dns1123_label)

    def default(self, obj: Obj) -> None:
        default_statefulset(obj)
        rs_mod.default_template(obj, "StatefulSet", "apps/v1")

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        obj["status"] = {}
        obj.setdefault("metadata", {})["generation"] = 1
        drop_disabled_fields(obj, None, ctx)

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_status(new, old)
        drop_disabled_fields(new, old, ctx)
        common.bump_generation_if(new, old, new.get("spec") != old.get("spec"))

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_statefulset_spec(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_statefulset_update(new, old)

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_spec(new, old)

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_statefulset_status(new, old)


def to_scale(obj: Obj) -> Obj:
    return rs_mod.to_scale(obj)


def apply_scale(obj: Obj, scale: Obj) -> Obj:
    return rs_mod.apply_scale(obj, scale, "statefulsets", "apps")


def table_row(sts: Obj, now: datetime | None = None) -> list[Any]:
    spec, status = sts.get("spec") or {}, sts.get("status") or {}
    names, images = common.layout_container_cells(common.template_containers(sts))
    return [
        common.name_of(sts),
        f"{common.int_field(status, 'readyReplicas')}/{common.int_field(spec, 'replicas')}",
        common.age(sts, now),
        names,
        images,
    ]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Ready", description="Number of the pod with ready state"),
        common.age_column(),
        common.wide("Containers", common.CONTAINERS_DESCRIPTION),
        common.wide("Images", common.IMAGES_DESCRIPTION),
    ],
    row=table_row,
)

STATEFULSETS = ResourceType(
    group="apps",
    version="v1",
    kind="StatefulSet",
    plural="statefulsets",
    namespaced=True,
    short_names=("sts",),
    categories=("all",),
    subresources=(
        Subresource("scale", rs_mod.SCALE_VERBS, group="autoscaling", version="v1", kind="Scale"),
        Subresource("status", rs_mod.STATUS_VERBS),
    ),
    strategy=StatefulSetStrategy(),
    printer=PRINTER,
)

__all__ = ["STATEFULSETS", "default_statefulset", "validate_statefulset_spec", "validate_statefulset_update",
           "validate_statefulset_status", "to_scale", "apply_scale", "table_row"]
