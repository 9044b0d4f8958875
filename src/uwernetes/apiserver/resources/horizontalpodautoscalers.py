"""HorizontalPodAutoscalers: autoscaling/v2 (stored, preferred) and autoscaling/v1 (converted).

Mirrors upstream's `pkg/registry/autoscaling/horizontalpodautoscaler/strategy.go` (v1.30: no
generation tracking, status via its own subresource), `pkg/apis/autoscaling/validation`,
`pkg/apis/autoscaling/v2/defaults.go`, `pkg/apis/autoscaling/v1/{defaults,conversion}.go` and
`printHorizontalPodAutoscaler` / `formatHPAMetrics`.

Conversion (upstream converts through the internal type; here v1 <-> v2 directly, and every v1
strategy hook runs the v2 one on converted copies, as upstream runs the internal one). v1 knows one metric, `targetCPUUtilizationPercentage` (a `Resource` cpu `Utilization` target);
everything else v2 can say travels in annotations so that a v1 read-modify-write keeps it:
`autoscaling.alpha.kubernetes.io/metrics` (the other metrics, as v1 `MetricSpec`s),
`.../current-metrics` (all current metrics, as v1 `MetricStatus`es), `.../conditions` and
`.../behavior` (the *internal* behavior type, so its keys are Go field names: `ScaleUp`,
`StabilizationWindowSeconds`, ...). Reading v1 from v2 drops any such annotation the object
carried and writes fresh ones; writing v1 lifts them back out (unparsable ones are ignored) and
puts the CPU metric after the others, as upstream does. One deliberate difference: an Object
metric with only an average value does not come back with `value: "0"` (upstream fixed that
round-trip bug after 1.30; with it, a v1 update of such an HPA fails validation).
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources import podspec
from uwernetes.apiserver.resources.base import (
    Column,
    Context,
    LazyText,
    Obj,
    Printer,
    ResourceType,
    Strategy,
    Subresource,
    field_doc,
)
from uwernetes.machinery import field, quantity, validation
from uwernetes.machinery.field import FieldError, Path

METRIC_SPECS_ANNOTATION = "autoscaling.alpha.kubernetes.io/metrics"
METRIC_STATUSES_ANNOTATION = "autoscaling.alpha.kubernetes.io/current-metrics"
CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions"
BEHAVIOR_ANNOTATION = "autoscaling.alpha.kubernetes.io/behavior"
ROUND_TRIP_ANNOTATIONS = (METRIC_SPECS_ANNOTATION, METRIC_STATUSES_ANNOTATION, CONDITIONS_ANNOTATION, BEHAVIOR_ANNOTATION)
DEFAULT_CPU_UTILIZATION = 80
V1, V2 = "autoscaling/v1", "autoscaling/v2"


def _go_json(value: Any) -> str:
    """encoding/json.Marshal: compact, with <, > and & escaped."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _get(d: Any, key: str) -> Any:
    """A JSON field as Go decodes it: exact name first, then case-insensitively."""
    if not isinstance(d, dict):
        return None
    if key in d:
        return d[key]
    low = key.lower()
    for k, v in d.items():
        if isinstance(k, str) and k.lower() == low:
            return v
    return None


def _q(value: Any) -> Any:
    """A quantity as the API prints it; left alone when it does not parse (validation reports it)."""
    if value is None:
        return None
    try:
        return quantity.canonicalize(value)
    except (quantity.QuantityError, ValueError, TypeError):
        return value


def _zero_q(value: Any) -> Any:
    """A required v1 Quantity: "0" when unset."""
    return "0" if value is None else _q(value)


def _is_zero(value: Any) -> bool:
    try:
        return quantity.parse_quantity(value) == 0
    except (quantity.QuantityError, ValueError, TypeError):
        return False


def _put(out: Obj, key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


def _ref(ref: Any) -> Obj:
    ref = ref if isinstance(ref, dict) else {}
    out = {"kind": _get(ref, "kind") or "", "name": _get(ref, "name") or ""}
    _put(out, "apiVersion", _get(ref, "apiVersion") or None)
    return out


def _cpu_utilization_metric(utilization: Any) -> Obj:
    return {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": utilization}}}


# --------------------------------------------------------------------------------------------
# metric specs: v2 <-> the v1 MetricSpec carried in the annotation
# --------------------------------------------------------------------------------------------


def metric_spec_to_v1(m: Obj) -> Obj:
    out: Obj = {"type": m.get("type") or ""}
    if isinstance(m.get("object"), dict):
        o, target, metric = m["object"], m["object"].get("target") or {}, m["object"].get("metric") or {}
        src: Obj = {"target": _ref(o.get("describedObject")), "metricName": metric.get("name") or "",
                    "targetValue": _zero_q(target.get("value"))}
        _put(src, "selector", metric.get("selector"))
        _put(src, "averageValue", _q(target.get("averageValue")))
        out["object"] = src
    if isinstance(m.get("pods"), dict):
        target, metric = m["pods"].get("target") or {}, m["pods"].get("metric") or {}
        src = {"metricName": metric.get("name") or "", "targetAverageValue": _zero_q(target.get("averageValue"))}
        _put(src, "selector", metric.get("selector"))
        out["pods"] = src
    for key in ("resource", "containerResource"):
        if isinstance(m.get(key), dict):
            r, target = m[key], m[key].get("target") or {}
            src = {"name": r.get("name") or ""}
            _put(src, "targetAverageUtilization", target.get("averageUtilization"))
            _put(src, "targetAverageValue", _q(target.get("averageValue")))
            if key == "containerResource":
                src["container"] = r.get("container") or ""
            out[key] = src
    if isinstance(m.get("external"), dict):
        target, metric = m["external"].get("target") or {}, m["external"].get("metric") or {}
        src = {"metricName": metric.get("name") or ""}
        _put(src, "metricSelector", metric.get("selector"))
        _put(src, "targetValue", _q(target.get("value")))
        _put(src, "targetAverageValue", _q(target.get("averageValue")))
        out["external"] = src
    return out


def metric_spec_from_v1(m: Obj) -> Obj:
    out: Obj = {"type": _get(m, "type") or ""}
    o = _get(m, "object")
    if isinstance(o, dict):
        average = _get(o, "averageValue")
        value = _get(o, "targetValue")
        target: Obj = {"type": "Value" if average is None else "AverageValue"}
        if average is None or (value is not None and not _is_zero(value)):
            target["value"] = _zero_q(value)
        _put(target, "averageValue", _q(average))
        metric: Obj = {"name": _get(o, "metricName") or ""}
        _put(metric, "selector", _get(o, "selector"))
        out["object"] = {"describedObject": _ref(_get(o, "target")), "target": target, "metric": metric}
    p = _get(m, "pods")
    if isinstance(p, dict):
        metric = {"name": _get(p, "metricName") or ""}
        _put(metric, "selector", _get(p, "selector"))
        out["pods"] = {"metric": metric, "target": {"type": "AverageValue", "averageValue": _zero_q(_get(p, "targetAverageValue"))}}
    for key in ("resource", "containerResource"):
        r = _get(m, key)
        if isinstance(r, dict):
            utilization, average = _get(r, "targetAverageUtilization"), _get(r, "targetAverageValue")
            target = {"type": "AverageValue" if utilization is None else "Utilization"}
            _put(target, "averageUtilization", utilization)
            _put(target, "averageValue", _q(average))
            src: Obj = {"name": _get(r, "name") or "", "target": target}
            if key == "containerResource":
                src["container"] = _get(r, "container") or ""
            out[key] = src
    e = _get(m, "external")
    if isinstance(e, dict):
        value, average = _get(e, "targetValue"), _get(e, "targetAverageValue")
        target = {"type": "AverageValue" if value is None else "Value"}
        _put(target, "value", _q(value))
        _put(target, "averageValue", _q(average))
        metric = {"name": _get(e, "metricName") or ""}
        _put(metric, "selector", _get(e, "metricSelector"))
        out["external"] = {"metric": metric, "target": target}
    return out


# --------------------------------------------------------------------------------------------
# metric statuses
# --------------------------------------------------------------------------------------------


def metric_status_to_v1(m: Obj) -> Obj:
    out: Obj = {"type": m.get("type") or ""}
    if isinstance(m.get("object"), dict):
        o, cur, metric = m["object"], m["object"].get("current") or {}, m["object"].get("metric") or {}
        src: Obj = {"target": _ref(o.get("describedObject")), "metricName": metric.get("name") or "",
                    "currentValue": _zero_q(cur.get("value"))}
        _put(src, "selector", metric.get("selector"))
        _put(src, "averageValue", _q(cur.get("averageValue")))
        out["object"] = src
    if isinstance(m.get("pods"), dict):
        cur, metric = m["pods"].get("current") or {}, m["pods"].get("metric") or {}
        src = {"metricName": metric.get("name") or "", "currentAverageValue": _zero_q(cur.get("averageValue"))}
        _put(src, "selector", metric.get("selector"))
        out["pods"] = src
    for key in ("resource", "containerResource"):
        if isinstance(m.get(key), dict):
            r, cur = m[key], m[key].get("current") or {}
            src = {"name": r.get("name") or ""}
            _put(src, "currentAverageUtilization", cur.get("averageUtilization"))
            src["currentAverageValue"] = _zero_q(cur.get("averageValue"))
            if key == "containerResource":
                src["container"] = r.get("container") or ""
            out[key] = src
    if isinstance(m.get("external"), dict):
        cur, metric = m["external"].get("current") or {}, m["external"].get("metric") or {}
        src = {"metricName": metric.get("name") or ""}
        _put(src, "metricSelector", metric.get("selector"))
        src["currentValue"] = _zero_q(cur.get("value"))
        _put(src, "currentAverageValue", _q(cur.get("averageValue")))
        out["external"] = src
    return out


def metric_status_from_v1(m: Obj) -> Obj:
    out: Obj = {"type": _get(m, "type") or ""}
    o = _get(m, "object")
    if isinstance(o, dict):
        cur: Obj = {"value": _zero_q(_get(o, "currentValue"))}
        _put(cur, "averageValue", _q(_get(o, "averageValue")))
        metric: Obj = {"name": _get(o, "metricName") or ""}
        _put(metric, "selector", _get(o, "selector"))
        out["object"] = {"metric": metric, "current": cur, "describedObject": _ref(_get(o, "target"))}
    p = _get(m, "pods")
    if isinstance(p, dict):
        metric = {"name": _get(p, "metricName") or ""}
        _put(metric, "selector", _get(p, "selector"))
        out["pods"] = {"metric": metric, "current": {"averageValue": _zero_q(_get(p, "currentAverageValue"))}}
    for key in ("resource", "containerResource"):
        r = _get(m, key)
        if isinstance(r, dict):
            cur = {"averageValue": _zero_q(_get(r, "currentAverageValue"))}
            _put(cur, "averageUtilization", _get(r, "currentAverageUtilization"))
            src: Obj = {"name": _get(r, "name") or "", "current": cur}
            if key == "containerResource":
                src["container"] = _get(r, "container") or ""
            out[key] = src
    e = _get(m, "external")
    if isinstance(e, dict):
        cur = {"value": _zero_q(_get(e, "currentValue"))}
        _put(cur, "averageValue", _q(_get(e, "currentAverageValue")))
        metric = {"name": _get(e, "metricName") or ""}
        _put(metric, "selector", _get(e, "metricSelector"))
        out["external"] = {"metric": metric, "current": cur}
    return out


def _condition(c: Any) -> Obj:
    c = c if isinstance(c, dict) else {}
    out: Obj = {"type": _get(c, "type") or "", "status": _get(c, "status") or ""}
    out["lastTransitionTime"] = _get(c, "lastTransitionTime")
    _put(out, "reason", _get(c, "reason") or None)
    _put(out, "message", _get(c, "message") or None)
    return out


# --------------------------------------------------------------------------------------------
# behavior: the internal type, Go field names
# --------------------------------------------------------------------------------------------


def _rules_to_internal(rules: Any) -> Obj | None:
    if not isinstance(rules, dict):
        return None
    policies = rules.get("policies")
    return {
        "StabilizationWindowSeconds": rules.get("stabilizationWindowSeconds"),
        "SelectPolicy": rules.get("selectPolicy"),
        "Policies": None if policies is None else [
            {"Type": p.get("type") or "", "Value": p.get("value") or 0, "PeriodSeconds": p.get("periodSeconds") or 0}
            for p in policies if isinstance(p, dict)
        ],
    }


def _rules_from_internal(rules: Any) -> Obj | None:
    if not isinstance(rules, dict):
        return None
    out: Obj = {}
    _put(out, "stabilizationWindowSeconds", _get(rules, "StabilizationWindowSeconds"))
    _put(out, "selectPolicy", _get(rules, "SelectPolicy"))
    policies = _get(rules, "Policies")
    if policies is not None:
        out["policies"] = [{"type": _get(p, "Type") or "", "value": _get(p, "Value") or 0,
                            "periodSeconds": _get(p, "PeriodSeconds") or 0} for p in policies if isinstance(p, dict)]
    return out


def behavior_to_annotation(behavior: Obj) -> str:
    return _go_json({"ScaleUp": _rules_to_internal(behavior.get("scaleUp")),
                     "ScaleDown": _rules_to_internal(behavior.get("scaleDown"))})


def behavior_from_annotation(text: str) -> Obj | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    out: Obj = {}
    _put(out, "scaleUp", _rules_from_internal(_get(data, "ScaleUp")))
    _put(out, "scaleDown", _rules_from_internal(_get(data, "ScaleDown")))
    return out or None


# --------------------------------------------------------------------------------------------
# whole objects
# --------------------------------------------------------------------------------------------


def _is_cpu_utilization(m: Obj) -> bool:
    r = m.get("resource")
    return m.get("type") == "Resource" and isinstance(r, dict) and r.get("name") == "cpu"


def _json_list(annotations: dict[str, str], key: str) -> list[Any] | None:
    if key not in annotations:
        return None
    try:
        data = json.loads(annotations[key])
    except ValueError:
        return None
    return data if isinstance(data, list) else None


def to_v1(hpa: Obj) -> Obj:
    """autoscaling/v2 -> autoscaling/v1 (Convert_autoscaling_HorizontalPodAutoscaler_To_v1_...)."""
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    metadata = copy.deepcopy(hpa.get("metadata") or {})
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if k not in ROUND_TRIP_ANNOTATIONS}
    metrics = [m for m in spec.get("metrics") or () if isinstance(m, dict)]
    other = [metric_spec_to_v1(m) for m in metrics
             if not (_is_cpu_utilization(m) and ((m["resource"].get("target") or {}).get("averageUtilization") is not None))]
    if other:
        annotations[METRIC_SPECS_ANNOTATION] = _go_json(other)
    current = [m for m in status.get("currentMetrics") or () if isinstance(m, dict)]
    if current:
        annotations[METRIC_STATUSES_ANNOTATION] = _go_json([metric_status_to_v1(m) for m in current])
    if isinstance(spec.get("behavior"), dict):
        annotations[BEHAVIOR_ANNOTATION] = behavior_to_annotation(spec["behavior"])
    conditions = [c for c in status.get("conditions") or () if isinstance(c, dict)]
    if conditions:
        annotations[CONDITIONS_ANNOTATION] = _go_json([_condition(c) for c in conditions])
    if annotations:
        metadata["annotations"] = annotations
    else:
        metadata.pop("annotations", None)

    v1_spec: Obj = {"scaleTargetRef": _ref(spec.get("scaleTargetRef"))}
    _put(v1_spec, "minReplicas", spec.get("minReplicas"))
    v1_spec["maxReplicas"] = spec.get("maxReplicas") or 0
    for m in metrics:
        if _is_cpu_utilization(m):
            _put(v1_spec, "targetCPUUtilizationPercentage", (m["resource"].get("target") or {}).get("averageUtilization"))
            break
    v1_status: Obj = {}
    _put(v1_status, "observedGeneration", status.get("observedGeneration"))
    _put(v1_status, "lastScaleTime", status.get("lastScaleTime"))
    v1_status["currentReplicas"] = status.get("currentReplicas") or 0
    v1_status["desiredReplicas"] = status.get("desiredReplicas") or 0
    for m in current:
        r = m.get("resource")
        if m.get("type") == "Resource" and isinstance(r, dict) and r.get("name") == "cpu":
            _put(v1_status, "currentCPUUtilizationPercentage", (r.get("current") or {}).get("averageUtilization"))
    out: Obj = {"apiVersion": V1, "kind": "HorizontalPodAutoscaler", "metadata": metadata, "spec": v1_spec}
    if "status" in hpa:
        out["status"] = v1_status
    return out


def to_v2(hpa: Obj) -> Obj:
    """autoscaling/v1 -> autoscaling/v2 (Convert_v1_HorizontalPodAutoscaler_To_autoscaling_...)."""
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    metadata = copy.deepcopy(hpa.get("metadata") or {})
    annotations = metadata.get("annotations") if isinstance(metadata.get("annotations"), dict) else {}

    metrics: list[Obj] = []
    if spec.get("targetCPUUtilizationPercentage") is not None:
        metrics.append(_cpu_utilization_metric(spec["targetCPUUtilizationPercentage"]))
    other = _json_list(annotations, METRIC_SPECS_ANNOTATION)
    if other is not None:
        metrics = [metric_spec_from_v1(m) for m in other if isinstance(m, dict)] + metrics
    if not metrics:
        metrics = [_cpu_utilization_metric(DEFAULT_CPU_UTILIZATION)]
    v2_spec: Obj = {"scaleTargetRef": _ref(spec.get("scaleTargetRef"))}
    _put(v2_spec, "minReplicas", spec.get("minReplicas"))
    v2_spec["maxReplicas"] = spec.get("maxReplicas") or 0
    v2_spec["metrics"] = metrics
    if BEHAVIOR_ANNOTATION in annotations:
        _put(v2_spec, "behavior", behavior_from_annotation(annotations[BEHAVIOR_ANNOTATION]))

    v2_status: Obj = {}
    _put(v2_status, "observedGeneration", status.get("observedGeneration"))
    _put(v2_status, "lastScaleTime", status.get("lastScaleTime"))
    _put(v2_status, "currentReplicas", status.get("currentReplicas") or None)
    v2_status["desiredReplicas"] = status.get("desiredReplicas") or 0
    current: list[Obj] | None = None
    if status.get("currentCPUUtilizationPercentage") is not None:
        current = [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": status["currentCPUUtilizationPercentage"]}}}]
    statuses = _json_list(annotations, METRIC_STATUSES_ANNOTATION)
    if statuses is not None:
        current = [metric_status_from_v1(m) for m in statuses if isinstance(m, dict)]
    v2_status["currentMetrics"] = current
    conditions = _json_list(annotations, CONDITIONS_ANNOTATION)
    if conditions:
        v2_status["conditions"] = [_condition(c) for c in conditions]

    kept = {k: v for k, v in annotations.items() if k not in ROUND_TRIP_ANNOTATIONS}
    if kept:
        metadata["annotations"] = kept
    else:
        metadata.pop("annotations", None)
    out: Obj = {"apiVersion": V2, "kind": "HorizontalPodAutoscaler", "metadata": metadata, "spec": v2_spec}
    if "status" in hpa:
        out["status"] = v2_status
    return out


# --------------------------------------------------------------------------------------------
# defaults (autoscaling/v2 SetDefaults_HorizontalPodAutoscaler, v1 SetDefaults)
# --------------------------------------------------------------------------------------------

_SCALE_UP_DEFAULT: Obj = {
    "stabilizationWindowSeconds": 0,
    "selectPolicy": "Max",
    "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}],
}
# No scale-down window: the controller's --horizontal-pod-autoscaler-downscale-stabilization applies.
_SCALE_DOWN_DEFAULT: Obj = {"selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}


def generate_scaling_rules(rules: Any, defaults: Obj) -> Obj:
    """GenerateHPAScale{Up,Down}Rules: every unset field of the rules from the defaults."""
    out = copy.deepcopy(defaults)
    if isinstance(rules, dict):
        for key in ("stabilizationWindowSeconds", "selectPolicy", "policies"):
            if rules.get(key) is not None:
                out[key] = rules[key]
    return out


def default_v2(hpa: Obj) -> None:
    spec = common.spec_of(hpa)
    if spec.get("minReplicas") is None:
        spec["minReplicas"] = 1
    if not spec.get("metrics"):
        spec["metrics"] = [_cpu_utilization_metric(DEFAULT_CPU_UTILIZATION)]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        behavior["scaleUp"] = generate_scaling_rules(behavior.get("scaleUp"), _SCALE_UP_DEFAULT)
        behavior["scaleDown"] = generate_scaling_rules(behavior.get("scaleDown"), _SCALE_DOWN_DEFAULT)


def default_v1(hpa: Obj) -> None:
    """v1 defaults only minReplicas; the CPU target default comes with conversion (it needs the
    metrics annotation to know whether other metrics exist)."""
    spec = common.spec_of(hpa)
    if spec.get("minReplicas") is None:
        spec["minReplicas"] = 1


# --------------------------------------------------------------------------------------------
# validation (on the v2 form, as upstream validates the internal one)
# --------------------------------------------------------------------------------------------

MAX_PERIOD_SECONDS = 1800
MAX_STABILIZATION_WINDOW_SECONDS = 3600
SELECT_POLICIES = ("Disabled", "Max", "Min")
POLICY_TYPES = ("Percent", "Pods")
METRIC_SOURCE_TYPES = ("ContainerResource", "External", "Object", "Pods", "Resource")
_SOURCE_FIELDS = (("object", "Object"), ("external", "External"), ("pods", "Pods"), ("resource", "Resource"),
                  ("containerResource", "ContainerResource"))


def is_valid_path_segment_name(name: str) -> list[str]:
    """apimachinery's IsValidPathSegmentName."""
    if name in (".", ".."):
        return [f"may not be '{name}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in name]


_DECIMAL_QUANTITY = re.compile(r"^([+-]?)([0-9]*)(?:\.([0-9]*))?(n|u|m|k|M|G|T|P|E|)$")
_SUFFIX_EXPONENT = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


def _go_quantity(text: Any) -> Any:
    """`%#v` of a resource.Quantity as ParseQuantity leaves a decimal one (field errors print the
    struct: mantissa and scale as written, `500m` -> value 500, scale -3)."""
    match = _DECIMAL_QUANTITY.match(str(text).strip())
    if match is None:
        return text
    sign, whole, frac, suffix = match.groups()
    frac = frac or ""
    digits = (whole + frac).lstrip("0") or "0"
    value = -int(digits) if sign == "-" else int(digits)
    scale = _SUFFIX_EXPONENT[suffix] - len(frac) if value else 0
    return common.GoLiteral(
        f"resource.Quantity{{i:resource.int64Amount{{value:{value}, scale:{scale}}}, "
        'd:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"", Format:"DecimalSI"}'
    )


def _positive_quantity(value: Any) -> bool:
    try:
        return quantity.parse_quantity(value) > 0
    except (quantity.QuantityError, ValueError, TypeError):
        return True  # unparsable quantities are decode errors, reported elsewhere


def validate_cross_version_object_reference(ref: Any, path: Path) -> list[FieldError]:
    ref = ref if isinstance(ref, dict) else {}
    errs: list[FieldError] = []
    for key in ("kind", "name"):
        value = ref.get(key) or ""
        if not value:
            errs.append(field.required(path.child(key), ""))
        else:
            errs.extend(field.invalid(path.child(key), value, m) for m in is_valid_path_segment_name(value))
    return errs


def validate_metric_target(mt: Any, path: Path) -> list[FieldError]:
    mt = mt if isinstance(mt, dict) else {}
    errs: list[FieldError] = []
    mtype = mt.get("type") or ""
    if not mtype:
        errs.append(field.required(path.child("type"), "must specify a metric target type"))
    if mtype not in ("Utilization", "Value", "AverageValue"):
        errs.append(field.invalid(path.child("type"), mtype, "must be either Utilization, Value, or AverageValue"))
    for key in ("value", "averageValue"):
        if mt.get(key) is not None and not _positive_quantity(mt[key]):
            errs.append(field.invalid(path.child(key), _go_quantity(mt[key]), "must be positive"))
    utilization = mt.get("averageUtilization")
    if isinstance(utilization, int) and utilization < 1:
        errs.append(field.invalid(path.child("averageUtilization"), utilization, "must be greater than 0"))
    return errs


def validate_metric_identifier(metric: Any, path: Path) -> list[FieldError]:
    name = (metric if isinstance(metric, dict) else {}).get("name") or ""
    if not name:
        return [field.required(path.child("name"), "must specify a metric name")]
    return [field.invalid(path.child("name"), name, m) for m in is_valid_path_segment_name(name)]


def _validate_object(src: Obj, path: Path) -> list[FieldError]:
    target = src.get("target") or {}
    errs = validate_cross_version_object_reference(src.get("describedObject"), path.child("describedObject"))
    errs += validate_metric_identifier(src.get("metric"), path.child("metric"))
    errs += validate_metric_target(target, path.child("target"))
    if target.get("value") is None and target.get("averageValue") is None:
        errs.append(field.required(path.child("target", "averageValue"), "must set either a target value or averageValue"))
    return errs


def _validate_external(src: Obj, path: Path) -> list[FieldError]:
    target = src.get("target") or {}
    errs = validate_metric_identifier(src.get("metric"), path.child("metric"))
    errs += validate_metric_target(target, path.child("target"))
    if target.get("value") is None and target.get("averageValue") is None:
        errs.append(field.required(path.child("target", "averageValue"), "must set either a target value for metric or a per-pod target"))
    if target.get("value") is not None and target.get("averageValue") is not None:
        errs.append(field.forbidden(path.child("target", "value"), "may not set both a target value for metric and a per-pod target"))
    return errs


def _validate_pods(src: Obj, path: Path) -> list[FieldError]:
    target = src.get("target") or {}
    errs = validate_metric_identifier(src.get("metric"), path.child("metric"))
    errs += validate_metric_target(target, path.child("target"))
    if target.get("averageValue") is None:
        errs.append(field.required(path.child("target", "averageValue"), "must specify a positive target averageValue"))
    return errs


def _validate_resource(src: Obj, path: Path, container: bool) -> list[FieldError]:
    target = src.get("target") or {}
    errs: list[FieldError] = []
    name = src.get("name") or ""
    if not name:
        errs.append(field.required(path.child("name"), "must specify a resource name"))
    elif container:
        errs.extend(podspec._resource_name_errors(name, path.child("name")))
    if container:
        cname = src.get("container") or ""
        if not cname:
            errs.append(field.required(path.child("container"), "must specify a container"))
        else:
            errs.extend(field.invalid(path.child("container"), cname, m) for m in validation.is_dns1123_label(cname))
    errs += validate_metric_target(target, path.child("target"))
    if target.get("averageUtilization") is None and target.get("averageValue") is None:
        errs.append(field.required(path.child("target", "averageUtilization"), "must set either a target raw value or a target utilization"))
    if target.get("averageUtilization") is not None and target.get("averageValue") is not None:
        errs.append(field.forbidden(path.child("target", "averageValue"), "may not set both a target raw value and a target utilization"))
    return errs


_SOURCE_VALIDATORS = {
    "object": _validate_object,
    "external": _validate_external,
    "pods": _validate_pods,
    "resource": lambda src, path: _validate_resource(src, path, False),
    "containerResource": lambda src, path: _validate_resource(src, path, True),
}


def validate_metric_spec(spec: Any, path: Path) -> list[FieldError]:
    spec = spec if isinstance(spec, dict) else {}
    errs: list[FieldError] = []
    mtype = spec.get("type") or ""
    if not mtype:
        errs.append(field.required(path.child("type"), "must specify a metric source type"))
    if mtype not in METRIC_SOURCE_TYPES:
        errs.append(field.not_supported(path.child("type"), mtype, METRIC_SOURCE_TYPES))
    present = [key for key, _ in _SOURCE_FIELDS if spec.get(key) is not None]
    if present:
        first = present[0]
        errs.extend(_SOURCE_VALIDATORS[first](spec[first] if isinstance(spec[first], dict) else {}, path.child(first)))
    expected = next((key for key, t in _SOURCE_FIELDS if t == mtype), None)
    if expected is None:
        errs.append(field.not_supported(path.child("type"), mtype, METRIC_SOURCE_TYPES))
    elif spec.get(expected) is None:
        errs.append(field.required(path.child(expected), "must populate information for the given metric source"))
    if len(present) != 1:
        errs.extend(field.forbidden(path.child(key), "must populate the given metric source only")
                    for key in sorted(present) if key != expected)
    return errs


def validate_metrics(metrics: Any, path: Path, min_replicas: Any) -> list[FieldError]:
    errs: list[FieldError] = []
    kinds: set[str] = set()
    for i, m in enumerate(metrics or ()):
        errs.extend(validate_metric_spec(m, path.index(i)))
        if isinstance(m, dict):
            kinds.add(m.get("type") or "")
    if min_replicas == 0 and not kinds & {"Object", "External"}:
        errs.append(field.forbidden(path, "must specify at least one Object or External metric to support scaling to zero replicas"))
    return errs


def validate_scaling_rules(rules: Any, path: Path) -> list[FieldError]:
    if not isinstance(rules, dict):
        return []
    errs: list[FieldError] = []
    window = rules.get("stabilizationWindowSeconds")
    if isinstance(window, int) and window < 0:
        errs.append(field.invalid(path.child("stabilizationWindowSeconds"), window, "must be greater than or equal to zero"))
    if isinstance(window, int) and window > MAX_STABILIZATION_WINDOW_SECONDS:
        errs.append(field.invalid(path.child("stabilizationWindowSeconds"), window, f"must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}"))
    select = rules.get("selectPolicy")
    if select is not None and select not in SELECT_POLICIES:
        errs.append(field.not_supported(path.child("selectPolicy"), select, SELECT_POLICIES))
    policies = rules.get("policies") or []
    if not policies:
        errs.append(field.required(path.child("policies"), "must specify at least one Policy"))
    for i, policy in enumerate(policies):
        p = path.child("policies").index(i)
        policy = policy if isinstance(policy, dict) else {}
        ptype = policy.get("type") or ""
        if ptype not in POLICY_TYPES:
            errs.append(field.not_supported(p.child("type"), ptype, POLICY_TYPES))
        value, period = policy.get("value") or 0, policy.get("periodSeconds") or 0
        if value <= 0:
            errs.append(field.invalid(p.child("value"), value, "must be greater than zero"))
        if period <= 0:
            errs.append(field.invalid(p.child("periodSeconds"), period, "must be greater than zero"))
        if period > MAX_PERIOD_SECONDS:
            errs.append(field.invalid(p.child("periodSeconds"), period, f"must be less than or equal to {MAX_PERIOD_SECONDS}"))
    return errs


def validate_spec(spec: Any, min_replicas_lower_bound: int, path: Path | None = None) -> list[FieldError]:
    """validateHorizontalPodAutoscalerSpec."""
    path = path or Path("spec")
    spec = spec if isinstance(spec, dict) else {}
    errs: list[FieldError] = []
    min_replicas, max_replicas = spec.get("minReplicas"), spec.get("maxReplicas") or 0
    if isinstance(min_replicas, int) and min_replicas < min_replicas_lower_bound:
        errs.append(field.invalid(path.child("minReplicas"), min_replicas, f"must be greater than or equal to {min_replicas_lower_bound}"))
    if max_replicas < 1:
        errs.append(field.invalid(path.child("maxReplicas"), max_replicas, "must be greater than 0"))
    if isinstance(min_replicas, int) and max_replicas < min_replicas:
        errs.append(field.invalid(path.child("maxReplicas"), max_replicas, "must be greater than or equal to `minReplicas`"))
    errs.extend(validate_cross_version_object_reference(spec.get("scaleTargetRef"), path.child("scaleTargetRef")))
    errs.extend(validate_metrics(spec.get("metrics"), path.child("metrics"), min_replicas))
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        errs.extend(validate_scaling_rules(behavior.get("scaleUp"), path.child("behavior", "scaleUp")))
        errs.extend(validate_scaling_rules(behavior.get("scaleDown"), path.child("behavior", "scaleDown")))
    return errs


def validate_status(status: Any) -> list[FieldError]:
    status = status if isinstance(status, dict) else {}
    errs = validation.validate_nonnegative(status.get("currentReplicas"), "status.currentReplicas")
    errs += validation.validate_nonnegative(status.get("desiredReplicas"), "status.desiredReplicas")
    return errs


def _lower_bound(ctx: Context | None, old: Obj | None = None) -> int:
    if common.gates(ctx).enabled("HPAScaleToZero"):
        return 0
    if old is not None and (old.get("spec") or {}).get("minReplicas") == 0:
        return 0
    return 1


# --------------------------------------------------------------------------------------------
# strategies
# --------------------------------------------------------------------------------------------


def empty_status() -> Obj:
    """The zero autoscaling/v2 status: currentMetrics is not omitempty, so it prints as null."""
    return {"currentMetrics": None, "desiredReplicas": 0}


class HorizontalPodAutoscalerStrategy(Strategy):
    """autoscaling/v2, the stored form."""

    tracks_generation = False
    has_status = True

    def default(self, obj: Obj) -> None:
        default_v2(obj)

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        obj["status"] = empty_status()

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_spec(obj.get("spec"), _lower_bound(ctx))

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_spec(new.get("spec"), _lower_bound(ctx, old))

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_spec(new, old)

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_status(new.get("status"))


def _replace(obj: Obj, new: Obj) -> None:
    """Swap a dict's contents in place (the registry keeps the object it handed us)."""
    obj.clear()
    obj.update(new)


class HorizontalPodAutoscalerV1Strategy(Strategy):
    """autoscaling/v1: each hook converts to v2, runs the v2 hook, and converts back."""

    tracks_generation = False
    has_status = True
    v2 = HorizontalPodAutoscalerStrategy()

    def default(self, obj: Obj) -> None:
        default_v1(obj)

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        v2 = to_v2(obj)
        self.v2.prepare_for_create(v2, ctx)
        _replace(obj, to_v1(v2))

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        v2 = to_v2(new)
        self.v2.prepare_for_update(v2, to_v2(old), ctx)
        _replace(new, to_v1(v2))

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return self.v2.validate(to_v2(obj), ctx)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return self.v2.validate_update(to_v2(new), to_v2(old), ctx)

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        v2 = to_v2(new)
        self.v2.prepare_for_status_update(v2, to_v2(old), ctx)
        _replace(new, to_v1(v2))

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return self.v2.validate_status_update(to_v2(new), to_v2(old), ctx)


def to_storage(v1: Obj) -> Obj:
    """v1 -> the stored v2 form, defaulted as a v2 decode from storage would be."""
    v2 = to_v2(v1)
    default_v2(v2)
    return v2


# --------------------------------------------------------------------------------------------
# printing
# --------------------------------------------------------------------------------------------


def _utilization(value: Any) -> str:
    return f"{value}%" if value is not None else ""


def _metric_text(spec: Obj, status: Obj | None) -> str:
    """One metric of formatHPAMetrics: `current/target`, `<unknown>` until the controller reports."""
    mtype = spec.get("type")
    if mtype in ("External", "Object"):
        key = mtype.lower()
        target = (spec.get(key) or {}).get("target") or {}
        cur = ((status or {}).get(key) or {}).get("current") if status and status.get(key) is not None else None
        if target.get("averageValue") is not None:
            current = _q(cur["averageValue"]) if cur and cur.get("averageValue") is not None else "<unknown>"
            return f"{current}/{_q(target['averageValue'])} (avg)"
        current = _q((cur or {}).get("value")) if cur is not None else "<unknown>"
        return f"{current}/{_q(target.get('value'))}"
    if mtype == "Pods":
        target = ((spec.get("pods") or {}).get("target") or {})
        cur = ((status or {}).get("pods") or {}).get("current") if status and status.get("pods") is not None else None
        current = _q((cur or {}).get("averageValue")) if cur is not None else "<unknown>"
        return f"{current}/{_q(target.get('averageValue'))}"
    if mtype in ("Resource", "ContainerResource"):
        key = "resource" if mtype == "Resource" else "containerResource"
        src = spec.get(key) or {}
        target = src.get("target") or {}
        st = (status or {}).get(key) if status else None
        cur = (st or {}).get("current") or {}
        if target.get("averageValue") is not None:
            current = _q(cur.get("averageValue")) if st is not None else "<unknown>"
            return f"{src.get('name') or ''}: {current}/{_q(target['averageValue'])}"
        current = _utilization(cur.get("averageUtilization")) if st is not None and cur.get("averageUtilization") is not None else "<unknown>"
        target_text = _utilization(target.get("averageUtilization")) if target.get("averageUtilization") is not None else "<auto>"
        return f"{src.get('name') or ''}: {current}/{target_text}"
    return "<unknown type>"


def format_metrics(specs: Any, statuses: Any, maximum: int = 2) -> str:
    """formatHPAMetrics: the first two metrics, then `+ N more...`."""
    specs = [s for s in specs or () if isinstance(s, dict)]
    if not specs:
        return "<none>"
    statuses = list(statuses or ())
    texts = [_metric_text(s, statuses[i] if i < len(statuses) and isinstance(statuses[i], dict) else None)
             for i, s in enumerate(specs)]
    text = ", ".join(texts[:maximum])
    if len(texts) > maximum:
        return f"{text} + {len(texts) - maximum} more..."
    return text


def table_row(hpa: Obj, now: datetime | None = None) -> list[Any]:
    if hpa.get("apiVersion") == V1:
        hpa = to_v2(hpa)
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    min_pods = spec.get("minReplicas")
    return [
        common.name_of(hpa),
        f"{ref.get('kind') or ''}/{ref.get('name') or ''}",
        format_metrics(spec.get("metrics"), status.get("currentMetrics")),
        "<unset>" if min_pods is None else str(min_pods),
        common.int_field(spec, "maxReplicas"),
        common.int_field(status, "currentReplicas"),
        common.age(hpa, now),
    ]


def _doc(definition: str, prop: str) -> LazyText:
    return field_doc(f"io.k8s.api.autoscaling.v2.{definition}", prop)


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Reference", description=_doc("HorizontalPodAutoscalerSpec", "scaleTargetRef")),
        Column("Targets", description=_doc("HorizontalPodAutoscalerSpec", "metrics")),
        Column("MinPods", description=_doc("HorizontalPodAutoscalerSpec", "minReplicas")),
        Column("MaxPods", "integer", description=_doc("HorizontalPodAutoscalerSpec", "maxReplicas")),
        Column("Replicas", "integer", description=_doc("HorizontalPodAutoscalerStatus", "currentReplicas")),
        common.age_column(),
    ],
    row=table_row,
)

_STATUS = Subresource("status", ("get", "patch", "update"))

HORIZONTALPODAUTOSCALERS = ResourceType(
    group="autoscaling",
    version="v2",
    kind="HorizontalPodAutoscaler",
    plural="horizontalpodautoscalers",
    namespaced=True,
    short_names=("hpa",),
    categories=("all",),
    subresources=(_STATUS,),
    strategy=HorizontalPodAutoscalerStrategy(),
    printer=PRINTER,
)

HORIZONTALPODAUTOSCALERS_V1 = ResourceType(
    group="autoscaling",
    version="v1",
    kind="HorizontalPodAutoscaler",
    plural="horizontalpodautoscalers",
    namespaced=True,
    short_names=("hpa",),
    categories=("all",),
    subresources=(_STATUS,),
    strategy=HorizontalPodAutoscalerV1Strategy(),
    printer=PRINTER,
    storage_resource=("autoscaling", "horizontalpodautoscalers"),
    to_storage=to_storage,
    from_storage=to_v1,
)
