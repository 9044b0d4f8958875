"""Small pieces the core kind modules share: standard Table columns, printer cell helpers,
label-selector text as upstream prints it, and Go `%#v`-style values for field errors.

Mirrors the helpers at the top of upstream's `pkg/printers/internalversion/printers.go`
(`translateTimestampSince`, `layoutContainerCells`, `metav1.FormatLabelSelector`).
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from uwernetes import features as features_mod
from uwernetes.apiserver.resources.base import Column, Context, Obj
from uwernetes.machinery import duration
from uwernetes.machinery.field import go_quote

NAME_DESCRIPTION = (
    "Name must be unique within a namespace. Is required when creating resources, although some resources "
    "may allow a client to request the generation of an appropriate name automatically. Name is primarily "
    "intended for creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
AGE_DESCRIPTION = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. "
    "It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. "
    "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)
CONTAINERS_DESCRIPTION = "Names of each container in the template."
IMAGES_DESCRIPTION = "Images referenced by each container in the template."

INT32_MAX = 2**31 - 1


def name_column() -> Column:
    return Column("Name", "string", "name", NAME_DESCRIPTION)


def age_column() -> Column:
    return Column("Age", "string", "", AGE_DESCRIPTION)


def wide(name: str, description: str) -> Column:
    return Column(name, "string", "", description, priority=1)


def age(obj: Obj, now: datetime | None = None) -> str:
    """translateTimestampSince(creationTimestamp): `<unknown>` when unset."""
    return duration.age((obj.get("metadata") or {}).get("creationTimestamp"), now)


def name_of(obj: Obj) -> str:
    return (obj.get("metadata") or {}).get("name") or ""


def layout_container_cells(containers: Any) -> tuple[str, str]:
    """Container names and images, comma-joined (layoutContainerCells)."""
    containers = [c for c in containers or () if isinstance(c, dict)]
    return ",".join(c.get("name") or "" for c in containers), ",".join(c.get("image") or "" for c in containers)


def template_containers(obj: Obj) -> Any:
    return (((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")


def selector_string(sel: Any) -> str:
    """labels.Selector.String() of metav1.LabelSelectorAsSelector: requirements sorted by key.

    A nil selector selects nothing and an empty one everything; both print as "".
    """
    if not isinstance(sel, dict):
        return ""
    reqs: list[tuple[str, str]] = []
    for k, v in (sel.get("matchLabels") or {}).items():
        reqs.append((k, f"{k}={v}"))
    for expr in sel.get("matchExpressions") or ():
        key = expr.get("key") or ""
        values = sorted(set(expr.get("values") or ()))
        op = expr.get("operator")
        if op == "In":
            reqs.append((key, f"{key} in ({','.join(values)})"))
        elif op == "NotIn":
            reqs.append((key, f"{key} notin ({','.join(values)})"))
        elif op == "Exists":
            reqs.append((key, key))
        elif op == "DoesNotExist":
            reqs.append((key, f"!{key}"))
    reqs.sort(key=lambda r: r[0])
    return ",".join(text for _, text in reqs)


def format_label_selector(sel: Any) -> str:
    """metav1.FormatLabelSelector: like selector_string, `<none>` when empty."""
    return selector_string(sel) or "<none>"


def format_labels(labels: Any) -> str:
    """labels.FormatLabels: sorted `k=v` pairs, `<none>` when empty."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def selector_matches(sel: Any, labels: Any) -> bool:
    """metav1.LabelSelectorAsSelector(sel).Matches(labels); a nil selector matches nothing."""
    if not isinstance(sel, dict):
        return False
    labels = labels if isinstance(labels, dict) else {}
    for k, v in (sel.get("matchLabels") or {}).items():
        if labels.get(k) != v or k not in labels:
            return False
    for expr in sel.get("matchExpressions") or ():
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or ()
        if op == "In" and not (key in labels and labels[key] in values):
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def selector_is_empty(sel: Any) -> bool:
    """labels.Selector.Empty(): only an empty, non-nil selector is empty."""
    return isinstance(sel, dict) and not sel.get("matchLabels") and not sel.get("matchExpressions")


class GoLiteral:
    """A bad value printed verbatim (Go's `%#v` of a struct or nil map), not quoted."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"GoLiteral({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoLiteral) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def go_string_map(m: Any) -> Any:
    """A map[string]string as field errors print it: sorted keys; a nil map as `map[string]string(nil)`."""
    if m is None:
        return GoLiteral("map[string]string(nil)")
    inner = ", ".join(f"{go_quote(str(k))}:{go_quote(str(m[k]))}" for k in sorted(m))
    return GoLiteral("map[string]string{" + inner + "}")


def go_label_selector(sel: Any) -> Any:
    """`%#v` of a *metav1.LabelSelector (nil prints as null)."""
    if not isinstance(sel, dict):
        return None
    labels = sel.get("matchLabels")
    ml = "map[string]string(nil)" if labels is None else str(go_string_map(labels))
    exprs = sel.get("matchExpressions")
    if exprs is None:
        me = "[]v1.LabelSelectorRequirement(nil)"
    else:
        parts = []
        for e in exprs:
            vals = e.get("values")
            vs = "[]string(nil)" if vals is None else "[]string{" + ", ".join(go_quote(v) for v in vals) + "}"
            parts.append(
                f'v1.LabelSelectorRequirement{{Key:{go_quote(e.get("key") or "")}, '
                f'Operator:{go_quote(e.get("operator") or "")}, Values:{vs}}}'
            )
        me = "[]v1.LabelSelectorRequirement{" + ", ".join(parts) + "}"
    return GoLiteral(f"v1.LabelSelector{{MatchLabels:{ml}, MatchExpressions:{me}}}")


def go_int_or_string(value: Any) -> GoLiteral:
    """`%#v` of an intstr.IntOrString."""
    if isinstance(value, str):
        return GoLiteral(f'intstr.IntOrString{{Type:1, IntVal:0, StrVal:{go_quote(value)}}}')
    return GoLiteral(f'intstr.IntOrString{{Type:0, IntVal:{value}, StrVal:""}}')


def gates(ctx: Context | None) -> features_mod.FeatureGates:
    g = ctx.features if ctx is not None else None
    return g if g is not None else features_mod.DEFAULT


def spec_of(obj: Obj) -> Obj:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = {}
        obj["spec"] = spec
    return spec


def copy_labels(new: Obj, old: Obj) -> None:
    """Status writes keep the old labels (deployment/daemonset status strategies)."""
    labels = (old.get("metadata") or {}).get("labels")
    m = new.setdefault("metadata", {})
    if labels is None:
        m.pop("labels", None)
    else:
        m["labels"] = copy.deepcopy(labels)


def keep_spec(new: Obj, old: Obj) -> None:
    """Status strategy: the spec stays as stored."""
    if "spec" in old:
        new["spec"] = copy.deepcopy(old["spec"])
    else:
        new.pop("spec", None)


def keep_status(new: Obj, old: Obj) -> None:
    """Main-resource strategy: the status stays as stored."""
    if "status" in old:
        new["status"] = copy.deepcopy(old["status"])
    else:
        new.pop("status", None)


def bump_generation_if(new: Obj, old: Obj, changed: bool) -> None:
    if changed:
        om = old.get("metadata") or {}
        new.setdefault("metadata", {})["generation"] = int(om.get("generation") or 0) + 1


def int_field(obj: Any, key: str, default: int = 0) -> int:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else default
