"""PodTemplates (core/v1): upstream v1.30's `pkg/registry/core/podtemplate/strategy.go`,
`ValidatePodTemplate*` and `printPodTemplate`.

The template is validated as every pod template is (`podspec.validate_pod_template_spec`), at
the path `template`; generation moves when the template changes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources import podspec
from uwernetes.apiserver.resources.base import Column, Context, Obj, Printer, ResourceType, Strategy
from uwernetes.machinery import quantity
from uwernetes.machinery.field import FieldError, Path


def default_pod_template(pt: Obj) -> None:
    template = pt.get("template")
    if isinstance(template, dict):
        try:
            podspec.default_pod_template(template)
        except quantity.QuantityError as e:
            raise podspec.decode_error("PodTemplate", "v1", e) from None


def _drop_disabled(new: Obj, old: Obj | None, ctx: Context | None) -> None:
    spec = (new.get("template") or {}).get("spec")
    old_spec = ((old.get("template") or {}).get("spec")) if old is not None else None
    if isinstance(spec, dict):
        podspec.drop_disabled_fields(spec, old_spec if isinstance(old_spec, dict) else None, common.gates(ctx))


def validate_pod_template(pt: Obj, ctx: Context | None) -> list[FieldError]:
    opts = podspec.PodValidationOptions(features=common.gates(ctx))
    return podspec.validate_pod_template_spec(pt.get("template") or {}, Path("template"), opts)


class PodTemplateStrategy(Strategy):
    def default(self, obj: Obj) -> None:
        default_pod_template(obj)

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        obj.setdefault("metadata", {})["generation"] = 1
        _drop_disabled(obj, None, ctx)

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        _drop_disabled(new, old, ctx)
        common.bump_generation_if(new, old, new.get("template") != old.get("template"))

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_pod_template(obj, ctx)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_pod_template(new, ctx)


def table_row(pt: Obj, now: datetime | None = None) -> list[Any]:
    template = pt.get("template") or {}
    names, images = common.layout_container_cells((template.get("spec") or {}).get("containers"))
    return [common.name_of(pt), names, images, common.format_labels((template.get("metadata") or {}).get("labels"))]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Containers", description=common.CONTAINERS_DESCRIPTION),
        Column("Images", description=common.IMAGES_DESCRIPTION),
        Column("Pod Labels", description="The labels for the pod template."),
    ],
    row=table_row,
)

PODTEMPLATES = ResourceType(
    group="",
    version="v1",
    kind="PodTemplate",
    plural="podtemplates",
    namespaced=True,
    strategy=PodTemplateStrategy(),
    printer=PRINTER,
)
