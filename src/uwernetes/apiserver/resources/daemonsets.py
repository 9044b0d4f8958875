"""DaemonSets (apps/v1): upstream's `pkg/registry/apps/daemonset/strategy.go`,
`ValidateDaemonSet*` in `pkg/apis/apps/validation`, `SetDefaults_DaemonSet` and `printDaemonSet`.

The internal `spec.templateGeneration` lives in apps/v1 as the annotation
`deprecated.daemonset.template.generation`: the server sets it to 1 on create and bumps it with
every template change; the controller labels pods with it (`pod-template-generation`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

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

ROLLING_UPDATE, ON_DELETE = "RollingUpdate", "OnDelete"
TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"


def default_daemonset(ds: Obj) -> None:
    spec = common.spec_of(ds)
    strategy = spec.get("updateStrategy")
    if not isinstance(strategy, dict):
        strategy = spec["updateStrategy"] = {}
    if not strategy.get("type"):
        strategy["type"] = ROLLING_UPDATE
    if strategy["type"] == ROLLING_UPDATE:
        ru = strategy.get("rollingUpdate")
        if not isinstance(ru, dict):
            ru = strategy["rollingUpdate"] = {}
        if ru.get("maxUnavailable") is None:
            ru["maxUnavailable"] = 1
        if ru.get("maxSurge") is None:
            ru["maxSurge"] = 0
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10


def template_generation(ds: Obj) -> int:
    raw = ((ds.get("metadata") or {}).get("annotations") or {}).get(TEMPLATE_GENERATION)
    try:
        return int(raw) if raw is not None else 0
    except ValueError:
        return 0


def _set_template_generation(ds: Obj, value: int) -> None:
    m = ds.setdefault("metadata", {})
    annotations = m.get("annotations")
    if not isinstance(annotations, dict):
        annotations = m["annotations"] = {}
    annotations[TEMPLATE_GENERATION] = str(value)


def _go_update_strategy(strategy: Obj) -> common.GoLiteral:
    ru = "(*apps.RollingUpdateDaemonSet)(nil)" if strategy.get("rollingUpdate") is None else "(*apps.RollingUpdateDaemonSet)(0xc000000000)"
    return common.GoLiteral(f"apps.DaemonSetUpdateStrategy{{Type:{field.go_quote(strategy.get('type') or '')}, RollingUpdate:{ru}}}")


def _not_more_than_100(value: Any, path: Path) -> list[FieldError]:
    p = deploy_mod._percent(value)
    if p is not None and p > 100:
        return [field.invalid(path, common.go_int_or_string(value), "must not be greater than 100%")]
    return []


def validate_rolling_update(ru: Obj, path: Path) -> list[FieldError]:
    """ValidateRollingUpdateDaemonSet: exactly one of maxSurge and maxUnavailable is non-zero."""
    mu, ms = ru.get("maxUnavailable", 0), ru.get("maxSurge", 0)
    mp, sp = path.child("maxUnavailable"), path.child("maxSurge")
    errs = deploy_mod.validate_positive_int_or_percent(mu, mp) + deploy_mod.validate_positive_int_or_percent(ms, sp)
    errs += _not_more_than_100(mu, mp) + _not_more_than_100(ms, sp)
    has_unavailable = deploy_mod._int_or_percent_value(mu) != 0
    has_surge = deploy_mod._int_or_percent_value(ms) != 0
    if has_unavailable and has_surge:
        errs.append(field.invalid(sp, common.go_int_or_string(ms), "may not be set when maxUnavailable is non-zero"))
    elif not has_unavailable and not has_surge:
        errs.append(field.required(mp, "cannot be 0 when maxSurge is 0"))
    return errs


def validate_update_strategy(strategy: Any, path: Path) -> list[FieldError]:
    strategy = strategy if isinstance(strategy, dict) else {}
    stype = strategy.get("type")
    if stype == ON_DELETE:
        return []
    if stype == ROLLING_UPDATE:
        ru = strategy.get("rollingUpdate")
        if not isinstance(ru, dict):
            return [field.required(path.child("rollingUpdate"), "")]
        return validate_rolling_update(ru, path.child("rollingUpdate"))
    return [field.not_supported(path, _go_update_strategy(strategy), (ROLLING_UPDATE, ON_DELETE))]


def validate_daemonset_spec(ds: Obj, ctx: Context | None, old: Obj | None = None) -> list[FieldError]:
    """ValidateDaemonSetSpec (the full pod template is validated, unlike StatefulSet)."""
    spec = ds.get("spec") or {}
    sp = Path("spec")
    selector = spec.get("selector")
    errs: list[FieldError] = []
    if selector is not None:
        errs.extend(validation.validate_label_selector(selector, sp.child("selector")))
    template = spec.get("template") if isinstance(spec.get("template"), dict) else {}
    labels = (template.get("metadata") or {}).get("labels")
    if not common.selector_matches(selector, labels) and not common.selector_is_empty(selector):
        errs.append(field.invalid(sp.child("template", "metadata", "labels"), common.go_string_map(labels), "`selector` does not match template `labels`"))
    if common.selector_is_empty(selector):
        errs.append(field.invalid(sp.child("selector"), common.go_label_selector(selector), "empty selector is invalid for daemonset"))
    errs.extend(podspec.validate_pod_template_spec(template, sp.child("template"), rs_mod.pod_options(ctx, old)))
    tspec = template.get("spec") if isinstance(template.get("spec"), dict) else {}
    restart = tspec.get("restartPolicy") or ""
    if restart != "Always":
        errs.append(field.not_supported(sp.child("template", "spec", "restartPolicy"), restart, ("Always",)))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(field.forbidden(sp.child("template", "spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in DaemonSet is not Supported"))
    errs.extend(rs_mod.nonneg(spec, "minReadySeconds", sp))
    errs.extend(validate_update_strategy(spec.get("updateStrategy"), sp.child("updateStrategy")))
    errs.extend(rs_mod.nonneg(spec, "revisionHistoryLimit", sp))
    return errs


def validate_daemonset_status(new: Obj, old: Obj) -> list[FieldError]:
    status = new.get("status") or {}
    p = Path("status")
    errs: list[FieldError] = []
    for key in ("currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady",
                "observedGeneration", "updatedNumberScheduled", "numberAvailable", "numberUnavailable", "collisionCount"):
        errs.extend(rs_mod.nonneg(status, key, p))
    cc, old_cc = status.get("collisionCount"), (old.get("status") or {}).get("collisionCount")
    if isinstance(old_cc, int) and (not isinstance(cc, int) or cc < old_cc):
        errs.append(field.invalid(p.child("collisionCount"), cc if isinstance(cc, int) else 0, "cannot be decremented"))
    return errs


class DaemonSetStrategy(Strategy):
    has_status = True

    def default(self, obj: Obj) -> None:
        default_daemonset(obj)
        rs_mod.default_template(obj, "DaemonSet", "apps/v1")

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        obj["status"] = {}
        obj.setdefault("metadata", {})["generation"] = 1
        _set_template_generation(obj, max(1, template_generation(obj)))
        rs_mod.drop_disabled_template_fields(obj, None, ctx)

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_status(new, old)
        rs_mod.drop_disabled_template_fields(new, old, ctx)
        old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
        generation = template_generation(old)
        if old_spec.get("template") != new_spec.get("template"):
            generation += 1
        # Clients cannot set the template generation; it follows the template.
        _set_template_generation(new, generation)
        common.bump_generation_if(new, old, old_spec != new_spec)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_daemonset_spec(obj, ctx)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_daemonset_spec(new, ctx, old) + rs_mod.selector_immutable(new, old)

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_spec(new, old)
        common.copy_labels(new, old)

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_daemonset_status(new, old)


def table_row(ds: Obj, now: datetime | None = None) -> list[Any]:
    spec, status = ds.get("spec") or {}, ds.get("status") or {}
    names, images = common.layout_container_cells(common.template_containers(ds))
    node_selector = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector")
    return [
        common.name_of(ds),
        common.int_field(status, "desiredNumberScheduled"),
        common.int_field(status, "currentNumberScheduled"),
        common.int_field(status, "numberReady"),
        common.int_field(status, "updatedNumberScheduled"),
        common.int_field(status, "numberAvailable"),
        common.format_labels(node_selector),
        common.age(ds, now),
        names,
        images,
        common.format_label_selector(spec.get("selector")),
    ]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Desired", "integer", description="The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"),
        Column("Current", "integer", description="The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"),
        Column("Ready", "integer", description="numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition."),
        Column("Up-to-date", "integer", description="The total number of nodes that are running updated daemon pod"),
        Column("Available", "integer", description="The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)"),
        Column("Node Selector", description="NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/"),
        common.age_column(),
        common.wide("Containers", common.CONTAINERS_DESCRIPTION),
        common.wide("Images", common.IMAGES_DESCRIPTION),
        common.wide("Selector", "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"),
    ],
    row=table_row,
)

DAEMONSETS = ResourceType(
    group="apps",
    version="v1",
    kind="DaemonSet",
    plural="daemonsets",
    namespaced=True,
    short_names=("ds",),
    categories=("all",),
    subresources=(Subresource("status", rs_mod.STATUS_VERBS),),
    strategy=DaemonSetStrategy(),
    printer=PRINTER,
)
