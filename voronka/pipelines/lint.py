"""The funnel linter: checks a pipeline's design against the method (seed 003) and says what
is wrong. It never forbids anything; findings are advice, in every UI language."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext as _

from .models import Pipeline, Stage, StageRequirement

MIN_STAGES, MAX_STAGES = 4, 7

# "Pockets": stages used as storage, with no goal for the manager (seed 003, "Карман").
POCKET_PATTERNS = [
    r"\bдума[юе]т", r"неразобран", r"ждут?\s+своего\s+часа", r"пока\s+не\s+нужн",
    r"отложен", r"на\s+потом", r"\bархив",
    r"\bthinking\b", r"\bunsorted\b", r"\bbacklog\b", r"\bon\s+hold\b", r"\blater\b",
    r"\bparking\b",
]
# A stage for lost deals: a loss is an archive with a reason, not a place in the funnel.
LOSS_PATTERNS = [r"^отказ", r"^проигр", r"^потерян", r"^слит", r"^lost\b", r"^closed[\s-]+lost\b",
                 r"^rejected\b"]
# Status names: they say where the deal is, not which fact the stage aims at ("Этапы-статусы").
STATUS_PATTERNS = [
    r"^переговоры\b", r"уточнение\s+информации", r"^в\s+процессе$", r"^обсуждение$",
    r"^холодн", r"^т[её]пл", r"^горяч", r"^cold\b", r"^warm\b", r"^hot\b",
    r"^negotiations?\b", r"^in\s+progress$", r"^discussion$", r"^information\s+gathering$",
]

# A process name says what the manager does now, first person ("Договариваюсь о встрече",
# "Согласовываю ТЗ", seed 003 requirements 7-8): its first word is such a verb. A noun
# ("Встреча", "Отправка КП") names an event or a place instead. English: "Agreeing …".
PROCESS_VERB = re.compile(r"^(?:[а-яё]{2,}(?:ю|у|юсь|усь|ем|им|ём|емся|имся|ёмся)"
                          r"|[a-z]{2,}ing)$")
FIRST_WORD = re.compile(r"[a-zа-яё]+")
# Nouns that look like such verbs ("Приём" ends like "провожу"'s kin, "Meeting" like "-ing").
NOT_VERBS = {"прием", "приём", "объем", "объём", "режим", "интервью", "meeting", "pricing",
             "onboarding", "briefing", "marketing", "billing", "shipping"}


@dataclass(frozen=True)
class Finding:
    code: str
    stage_id: int | None
    message: dict[str, str] = field(default_factory=dict)

    def text(self, lang: str | None = None) -> str:
        lang = lang or translation.get_language() or "en"
        return self.message.get(lang[:2]) or self.message.get("en", "")


def _bilingual(fmt, **params) -> dict[str, str]:
    out = {}
    for lang in ("ru", "en"):
        with translation.override(lang):
            # A callable parameter is worked out in the language too (quotes around names).
            values = {k: v() if callable(v) else v for k, v in params.items()}
            out[lang] = fmt() % values if values else fmt()
    return out


def _matches(patterns: list[str], name: str) -> bool:
    text = name.strip().lower()
    return any(re.search(p, text) for p in patterns)


def _is_process(name: str) -> bool:
    word = FIRST_WORD.search(name.strip().lower())
    return word is None or (word.group() not in NOT_VERBS
                            and bool(PROCESS_VERB.match(word.group())))


def lint_stages(stages: list[Stage], requirement_counts: dict[int, int],
                first_stage_requires_budget: bool, *,
                has_loss_reasons: bool = True) -> list[Finding]:
    """Findings for stages in funnel order; a stage without a pk (being typed) is not asked
    for a goal yet."""
    findings: list[Finding] = []
    nouns: list[str] = []
    n = len(stages)
    if n < MIN_STAGES:
        findings.append(Finding("too_few_stages", None, _bilingual(
            lambda: _("Only %(n)d stages: a working funnel has 4 to 7."), n=n)))
    if n > MAX_STAGES:
        findings.append(Finding("too_many_stages", None, _bilingual(
            lambda: _("%(n)d stages: a working funnel has 4 to 7; merge stages whose facts "
                      "come together."), n=n)))
    for stage in stages:
        if _matches(LOSS_PATTERNS, stage.name):
            findings.append(Finding("loss_stage", stage.pk, _bilingual(
                lambda: _("“%(name)s” keeps lost deals on a stage: a lost deal is archived with "
                          "its reason, so the funnel's numbers count only live deals."),
                name=stage.name)))
        elif _matches(POCKET_PATTERNS, stage.name):
            findings.append(Finding("pocket_stage", stage.pk, _bilingual(
                lambda: _("“%(name)s” is a pocket: a place to store deals, with no goal for "
                          "the manager. Decide whether to work the deal; if so, put it on a "
                          "stage with a goal."), name=stage.name)))
        elif _matches(STATUS_PATTERNS, stage.name):
            findings.append(Finding("status_stage", stage.pk, _bilingual(
                lambda: _("“%(name)s” is a status, not a process with a goal: name the stage "
                          "by what the manager achieves on it (e.g. “Согласовываю ТЗ”)."),
                name=stage.name)))
        elif not _is_process(stage.name):
            nouns.append(stage.name)
        if stage.pk is not None and not (stage.goal or "").strip():
            findings.append(Finding("no_goal", stage.pk, _bilingual(
                lambda: _("“%(name)s” has no goal: write down the fact that ends the stage "
                          "(e.g. “Specification agreed”)."), name=stage.name)))
        if not requirement_counts.get(stage.pk):
            findings.append(Finding("no_exit_requirement", stage.pk, _bilingual(
                lambda: _("“%(name)s” has no exit requirement: the move is a feeling, not a "
                          "fact. Add the fact that ends the stage."), name=stage.name)))
    if nouns:
        findings.append(Finding("not_a_process", None, _bilingual(
            lambda: _("%(names)s: name each stage by what the manager is doing on it, first "
                      "person, with its goal inside (e.g. “Arranging the first meeting”, "
                      "“Agreeing the specification”), not by an event or a document."),
            names=lambda: ", ".join(_("“%(name)s”") % {"name": n} for n in nouns))))
    if stages and not first_stage_requires_budget:
        findings.append(Finding("budget_not_from_first_stage", stages[0].pk, _bilingual(
            lambda: _("The first stage does not require the budget: count and budget matter "
                      "on every stage, so set the budget from the first one."))))
    if not has_loss_reasons:
        findings.append(Finding("no_loss_reasons", None, _bilingual(
            lambda: _("The pipeline has no loss reasons, so its deals cannot be archived: "
                      "add the reasons deals are lost for."))))
    return findings


def pipeline_lint(pipeline: Pipeline) -> list[Finding]:
    """Findings for a stored pipeline."""
    stages = list(pipeline.stages.order_by("position", "id"))
    reqs = StageRequirement.objects.filter(stage__pipeline=pipeline)
    counts: dict[int, int] = {}
    for stage_id in reqs.values_list("stage_id", flat=True):
        counts[stage_id] = counts.get(stage_id, 0) + 1
    first_budget = bool(stages) and reqs.filter(
        stage=stages[0], kind=StageRequirement.Kind.FIELD_FILLED, field_name="budget").exists()
    return lint_stages(stages, counts, first_budget, has_loss_reasons=_has_reasons(pipeline))


def _has_reasons(pipeline: Pipeline) -> bool:
    return pipeline.loss_reasons.filter(is_active=True).exists()


def pipeline_lint_preview(pipeline: Pipeline, *, renames: dict[int, str] | None = None,
                          new_stage: str = "") -> list[Finding]:
    """Findings as they would be after renaming stages and/or adding one (the settings page
    shows them while the user types); nothing is saved."""
    stages = list(pipeline.stages.order_by("position", "id"))
    for stage in stages:
        if renames and stage.pk in renames:
            stage.name = renames[stage.pk]
    if new_stage.strip():
        stages.append(Stage(pipeline=pipeline, name=new_stage.strip(), position=len(stages)))
    reqs = StageRequirement.objects.filter(stage__pipeline=pipeline)
    counts: dict[int, int] = {}
    for stage_id in reqs.values_list("stage_id", flat=True):
        counts[stage_id] = counts.get(stage_id, 0) + 1
    first_budget = bool(stages) and stages[0].pk is not None and reqs.filter(
        stage=stages[0], kind=StageRequirement.Kind.FIELD_FILLED, field_name="budget").exists()
    return lint_stages(stages, counts, first_budget, has_loss_reasons=_has_reasons(pipeline))
