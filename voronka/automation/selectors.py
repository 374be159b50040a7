"""Reads for the automation: rules of a pipeline, their runs, a deal's timeline entries."""

from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery

from voronka.accounts.models import User
from voronka.core.errors import NotFound
from voronka.deals.models import Deal
from voronka.deals.visibility import can_manage_pipeline
from voronka.pipelines.models import Pipeline

from .models import Rule, RuleRun, StageLimitReminder


def pipelines_managed(*, user: User) -> QuerySet[Pipeline]:
    """The pipelines whose automation ``user`` may configure."""
    qs = Pipeline.objects.select_related("team").order_by("position", "id")
    if user.is_admin:
        return qs
    if user.is_head and user.team_id:
        return qs.filter(team_id=user.team_id)
    return qs.none()


def pipeline_for_settings(*, user: User, pk: int) -> Pipeline:
    pipeline = Pipeline.objects.filter(pk=pk).select_related("team").first()
    if pipeline is None or not can_manage_pipeline(user, pipeline):
        raise NotFound("pipeline")
    return pipeline


def rule_list(*, user: User, pipeline: Pipeline) -> QuerySet[Rule]:
    if not can_manage_pipeline(user, pipeline):
        return Rule.objects.none()
    return Rule.objects.filter(pipeline=pipeline).select_related("stage")


def rule_list_with_last_run(*, user: User, pipeline: Pipeline) -> list[Rule]:
    """The pipeline's rules, each with ``run_count`` and ``last`` (its latest run or None),
    in three queries whatever the number of rules."""
    rules = list(rule_list(user=user, pipeline=pipeline).annotate(
        run_count=Count("runs"),
        last_run_id=Subquery(RuleRun.objects.filter(rule=OuterRef("pk"))
                             .order_by("-started_at", "-id").values("pk")[:1])))
    runs = RuleRun.objects.in_bulk([r.last_run_id for r in rules if r.last_run_id])
    for rule in rules:
        rule.last = runs.get(rule.last_run_id)
    return rules


def rule_get(*, user: User, pk: int) -> Rule:
    rule = Rule.objects.filter(pk=pk).select_related("pipeline", "stage").first()
    if rule is None or not can_manage_pipeline(user, rule.pipeline):
        raise NotFound("rule")
    return rule


def rule_runs(*, user: User, rule: Rule, limit: int = 50) -> list[RuleRun]:
    if not can_manage_pipeline(user, rule.pipeline):
        return []
    runs = list(RuleRun.objects.filter(rule=rule).select_related("deal")[:limit])
    for run in runs:
        run.log = run.action_lines()
    return runs


def deal_timeline_entries(*, deal: Deal) -> list:
    """Rule runs that did something (or tried and failed), the stage time limit reminders and
    e-mails, as timeline entries, worded in the reader's language. A deleted rule's runs stay,
    under the name it had. The caller (``deals.selectors.deal_timeline``) has already checked
    visibility."""
    from voronka.deals.selectors import TimelineEntry
    from voronka.integrations.models import OutgoingEmail

    entries = []
    runs = (RuleRun.objects.filter(deal=deal).exclude(status=RuleRun.Status.SKIPPED)
            .select_related("rule"))
    for run in runs:
        entries.append(TimelineEntry(run.started_at, "automation", "", {
            "rule": run.display_name, "rule_id": run.rule_id, "trigger": run.trigger,
            "trigger_label": str(run.get_trigger_display()), "status": run.status,
            "status_label": str(run.get_status_display()), "actions": run.action_lines(),
            "error": run.error_text}))
    for reminder in StageLimitReminder.objects.filter(deal=deal).select_related("stage",
                                                                                 "owner"):
        entries.append(TimelineEntry(reminder.created_at, "automation", "", {
            "stage_limit": True, "stage": reminder.stage.name,
            "limit_hours": reminder.limit_hours, "owner": str(reminder.owner or ""),
            "status": RuleRun.Status.SUCCESS}))
    for email in OutgoingEmail.objects.filter(deal=deal):
        entries.append(TimelineEntry(email.sent_at or email.created_at, "email", "", {
            "to": email.to, "subject": email.subject, "body": email.body,
            "status": email.status, "status_label": email.get_status_display(),
            "error": email.last_error}))
    return entries
