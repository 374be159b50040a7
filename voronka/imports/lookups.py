"""Name lookups an import resolves against: owners by e-mail or name, pipelines, stages and
loss reasons by name. Unknown names are reported, never created."""

from __future__ import annotations

from dataclasses import dataclass, field

from voronka.accounts.models import User
from voronka.deals.visibility import can_use_pipeline
from voronka.pipelines.models import CustomField, LossReason, Pipeline, Stage, StageRequirement

from .selectors import import_owners
from .values import word


@dataclass
class PipelineInfo:
    pipeline: Pipeline
    stages: list[Stage]
    by_name: dict[str, Stage]
    reasons: dict[str, LossReason]
    fields: dict[str, CustomField]
    requirements: dict[int, list[StageRequirement]] = field(default_factory=dict)


class Lookups:
    def __init__(self, actor: User | None) -> None:
        self.actor = actor
        self._pipelines: dict[int, PipelineInfo] = {}
        self._pipeline_names: dict[str, Pipeline] | None = None
        self._owners: dict[str, User] | None = None

    def owner(self, text: str) -> User | None:
        """An active user who may own deals, by e-mail or full name (case-insensitive)."""
        if self._owners is None:
            self._owners = {}
            for user in import_owners(user=self.actor).order_by("id"):
                self._owners.setdefault(word(user.email), user)
                if user.full_name:
                    self._owners.setdefault(word(user.full_name), user)
        return self._owners.get(word(text))

    def pipeline_named(self, text: str) -> Pipeline | None:
        if self._pipeline_names is None:
            self._pipeline_names = {}
            for p in Pipeline.objects.filter(is_active=True).select_related("team"):
                if can_use_pipeline(self.actor, p):
                    self._pipeline_names.setdefault(word(p.name), p)
        return self._pipeline_names.get(word(text))

    def info(self, pipeline: Pipeline) -> PipelineInfo:
        info = self._pipelines.get(pipeline.pk)
        if info is None:
            from voronka.deals.gates import stage_requirements

            stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
            requirements = stage_requirements(stages)
            info = PipelineInfo(
                pipeline=pipeline, stages=stages,
                by_name={word(s.name): s for s in reversed(stages)},
                reasons={word(r.name): r for r in LossReason.objects.filter(pipeline=pipeline)},
                fields={f.code: f for f in CustomField.objects.filter(pipeline=pipeline)},
                requirements=requirements)
            self._pipelines[pipeline.pk] = info
        return info
