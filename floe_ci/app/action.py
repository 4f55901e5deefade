"""One run of the GitHub Action (`floe-ci action`): which command, the check or the review,
the reports, the comment, the step outputs, and the exit code by the verdict.

The GitHub side (inputs, event, masks, comment, the runner's files) is
`floe_ci.integrations.github`; this module only decides what happens in which order:

1. read the inputs, mask the token and secret-looking variables before anything is printed;
2. `command: check`: load floe.yaml, mask the secrets it names, check, or review against
   `base-ref` or, on a pull-request event, against the merge base of the pull request's base
   commit and the head (fetched with the token when the checkout is shallow); write the
   reports under `.floe/github/`, annotate (a check run when the token may, workflow
   commands otherwise), summarize, comment, set the outputs, and exit 1 on a failed
   verdict; a configuration error is annotated on its file and line, then raised (exit 2);
3. `command: comment`: the trusted second stage renders the comment from the first one's
   validated report and posts it;
4. any other command is handed back as a `Delegate` for the CLI to run.

A comment that cannot be written is a warning, never a failure.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from floe_ci.app.analysis_helper import analysis_helper
from floe_ci.app.pydantic_plugins import pydantic_plugins_off
from floe_ci.errors import FloeUsageError
from floe_ci.integrations.github.inputs import ActionInputs, for_steps, in_repository
from floe_ci.integrations.github.masking import values_to_mask
from floe_ci.integrations.github.runner import Step

if TYPE_CHECKING:
    from floe_ci.governance.result import CheckResult
    from floe_ci.integrations.github.event import EventContext
    from floe_ci.lineage.builder import Analyser
    from floe_ci.plan.changes import Plan
    from floe_ci.report.pr_comment import RenderedComment

ARTIFACTS_SUBDIR = Path(".floe") / "github"
EXIT_FINDINGS = 1


@dataclass(frozen=True)
class Delegate:
    """Another floe-ci command for the CLI to run in this process: `floe-ci *args`."""

    args: tuple[str, ...]


def run_action(
    env: Mapping[str, str], log: TextIO, other_commands: Iterable[str] = ()
) -> int | Delegate:
    """Run the action as the environment describes it; the exit code, or what to delegate.

    `other_commands` are the floe-ci commands that `command:` may name besides check and
    comment. Raises FloeUsageError on a bad input or a broken floe.yaml (exit code 2).
    """
    inputs = ActionInputs.from_env(env, other_commands)
    workdir = inputs.workdir(env)
    step = Step.from_env(env, log)
    masked = values_to_mask(env, extra_values=[inputs.token])
    step.mask(masked)
    if inputs.command == "comment":
        return comment_stage(inputs, workdir, env, step)
    if inputs.command != "check":
        # As the user would type it; no shell, and nothing in the input is parsed again.
        return Delegate((inputs.command, "--config", str(workdir / inputs.config)))
    try:
        # As `floe-ci check` does: no plugin discovery, and a warm check's SQL analysis
        # helper started before check_stage's imports, which its import of sqlglot overlaps.
        with (
            pydantic_plugins_off(),
            analysis_helper(workdir / inputs.config) as elsewhere,
        ):
            return check_stage(inputs, workdir, env, step, set(masked), elsewhere)
    except FloeUsageError as exc:
        _report_usage_error(exc, workdir, env, step)
        raise


def check_stage(
    inputs: ActionInputs,
    workdir: Path,
    env: Mapping[str, str],
    step: Step,
    masked: set[str],
    elsewhere: Analyser | None = None,
) -> int:
    """Check (or review), write the reports, annotate, summarize, comment, set outputs;
    `elsewhere` analyses SQL in a helper process while it can (app.analysis_helper)."""
    from floe_ci.app.check import run_check, with_durations
    from floe_ci.app.progress import Progress, activated
    from floe_ci.app.review import review_pull_request
    from floe_ci.app.spec_file import load_spec
    from floe_ci.fsutil import write_atomic
    from floe_ci.governance.evaluate import CheckOptions
    from floe_ci.integrations.github.comment import post_comment
    from floe_ci.integrations.github.event import PR_NUMBER_FILE, read_event
    from floe_ci.integrations.github.masking import referenced_env_names
    from floe_ci.report.formats import render

    config = workdir / inputs.config
    shown = inputs.config
    loaded = load_spec(config, shown)
    named = referenced_env_names(loaded.spec.model_dump(mode="json"))
    more = values_to_mask({name: env[name] for name in named if name in env}, named)
    step.mask(value for value in more if value not in masked)
    event = read_event(env)
    options = CheckOptions(fail_on=inputs.fail_on, config_file=shown)
    plan = None
    base_ref = inputs.base_ref or review_base(config.parent, event, inputs.token, env, step)
    # The job's log gets a line when a long step (dbt parse, lineage, the base) starts and ends.
    with activated(Progress(sys.stderr, live=False, command="floe-ci")) as progress:
        if base_ref:
            # The plan's review findings (declassification, breaking change, weaker policy)
            # count toward the verdict like the rules' findings, in every report.
            from floe_ci.app.pr_feedback import approval_lookup, offer_suggestions

            approval_for = approval_lookup(step, inputs.token, env, event)
            result, plan = review_pull_request(
                config, base_ref, options, approval_for=approval_for, elsewhere=elsewhere
            )
            if inputs.comment and event.is_pull_request:
                offer_suggestions(step, config, shown, base_ref, inputs.token, env, event)
        else:
            result = run_check(config, options, elsewhere=elsewhere)
    result = with_durations(result, progress.durations)
    verdict = "failed" if result.failed() else "passed"
    artifacts = config.resolve().parent / ARTIFACTS_SUBDIR
    comment, full = render_comments(result, plan, env, event)
    files = {
        "report.json": render(result, "json", plan),
        "report.sarif": render(result, "sarif", plan),
        "comment.md": comment.text,
        "summary.md": full.text,
        "verdict": verdict + "\n",
    }
    if event.pull_number is not None:
        files[PR_NUMBER_FILE] = f"{event.pull_number}\n"
    for name, text in files.items():
        write_atomic(artifacts / name, text)

    annotate(result, inputs.token, env, event, step, comment.text)
    step.summary(full.text)
    comment_url = ""
    if inputs.comment and event.is_pull_request:
        comment_url = post_comment(step, inputs.token, env, event, comment.text)
    elif inputs.comment and event.name not in ("", "local"):
        step.command("notice", f"no pull request in a `{event.name}` event: no comment posted")
    step.outputs(
        {
            "verdict": verdict,
            "findings-count": str(len(result.active())),
            "comment-url": comment_url,
            "report-path": for_steps(artifacts / "report.json", env),
            "sarif-path": for_steps(artifacts / "report.sarif", env),
            "artifacts-path": for_steps(artifacts, env),
        }
    )
    step.emit([f"floe-ci: {result.verdict()} (report: {artifacts})"])
    return EXIT_FINDINGS if result.failed() else 0


def review_base(
    folder: Path, event: EventContext, token: str, env: Mapping[str, str], step: Step
) -> str:
    """On a pull-request event, the commit to review against: the merge base of the event's
    base commit and the head, as GitHub's "Files changed" shows the change ("" otherwise).

    `pull_request_target` reviews the same way what the workflow checked out (by default the
    base branch): the pull request's head is never fetched nor checked out here, since that
    event runs with a write token.
    """
    from floe_ci.integrations.git.merge_base import pull_request_base
    from floe_ci.integrations.github.event import PULL_REQUEST_EVENTS

    if event.name not in PULL_REQUEST_EVENTS or not event.base_sha:
        return ""
    sha = pull_request_base(folder, event.base_sha, token, env=env)
    step.emit(
        [
            f"floe-ci: reviewing against {sha[:12]}, the merge base of the base branch's "
            f"{event.base_sha[:12]} and the head"
        ]
    )
    return sha


def annotate(
    result: CheckResult,
    token: str,
    env: Mapping[str, str],
    event: EventContext,
    step: Step,
    summary: str,
) -> None:
    """Every finding as an annotation of a check run on the head commit when the token may
    write check runs; otherwise (silently) workflow commands in the log, 10 per level."""
    from floe_ci.report.github import annotation, render_github

    if token and event.repository and event.head_sha:
        from floe_ci.integrations.github.checks import (
            CheckRunError,
            CheckRunNotPermitted,
            check_run_annotations,
            conclusion,
            publish_check_run,
        )
        from floe_ci.integrations.github.client import GitHubSettings, connect
        from floe_ci.integrations.github.event import run_url

        ordered = [
            annotation(result, f)
            for severity in ("error", "warning", "info")
            for f in result.active()
            if f.severity == severity
        ]
        gh = connect(GitHubSettings.from_env(token, env))
        try:
            published = publish_check_run(
                gh,
                event.repository,
                event.head_sha,
                conclusion=conclusion(result),
                title=f"floe-ci: {result.verdict()}",
                summary=summary,
                annotations=check_run_annotations(ordered),
                details_url=run_url(env),
            )
        except CheckRunNotPermitted:
            published = None  # no `checks: write`: workflow commands, as without a token
        except CheckRunError as exc:
            step.emit([f"floe-ci: no check run ({exc}): annotating in the log instead"])
            published = None
        finally:
            gh.close()
        if published is not None:
            step.emit(
                [
                    f"floe-ci: check run with {published.annotations} "
                    f"annotation{'s' if published.annotations != 1 else ''}: {published.url}"
                ]
            )
            return
    step.log.write(render_github(result))


def render_comments(
    result: CheckResult, plan: Plan | None, env: Mapping[str, str], event: EventContext
) -> tuple[RenderedComment, RenderedComment]:
    """The comment (cut to GitHub's limit) and the job summary's full text, same footer."""
    from floe_ci import __version__
    from floe_ci.app.templates import comment_template
    from floe_ci.integrations.github.event import run_url
    from floe_ci.integrations.github.runner import MAX_SUMMARY_BYTES
    from floe_ci.report.links import BlobLinks
    from floe_ci.report.review_comment import render_review_comment

    # Every file:line of the comment links to the head commit's blob, when the run knows it.
    links = None
    if event.repository and event.head_sha and re.fullmatch(r"[0-9a-f]{40}", event.head_sha):
        server = env.get("GITHUB_SERVER_URL") or "https://github.com"
        links = BlobLinks(event.repository, event.head_sha, server)
    footer = [f"floe-ci {__version__}"]
    if event.head_sha:
        footer.append(f"commit {event.head_sha[:12]}")
    url = run_url(env)
    if url:
        footer.append(f"[run {env['GITHUB_RUN_ID']}]({url})")
    text = " · ".join(footer)
    template = comment_template()
    comment = render_review_comment(result, plan, text, template=template, links=links)
    # The job summary holds everything the comment had to cut (4 bytes per character at worst).
    full = render_review_comment(
        result, plan, text, template=template, limit=MAX_SUMMARY_BYTES // 4, links=links
    )
    return comment, full


# The first stage's report of a 5,000-model project is a few MB; nothing floe-ci wrote
# comes near this.
MAX_REPORT_BYTES = 64 * 1024 * 1024


def comment_stage(inputs: ActionInputs, workdir: Path, env: Mapping[str, str], step: Step) -> int:
    """Second stage (workflow_run): comment with a write token on what the first stage found.

    The artifact was written by the pull request's code: only regular files are read (no
    symbolic link, no device), each capped before reading, and the comment is rendered here
    from the validated JSON report (`report.json`), with the marker within GitHub's limit,
    never posted as the Markdown the first stage left."""
    from floe_ci.fsutil import read_regular_file
    from floe_ci.integrations.github.comment import post_comment
    from floe_ci.integrations.github.event import read_event
    from floe_ci.report.json_report import load_report

    report_file = workdir / "report.json"
    if not report_file.exists() and not report_file.is_symlink():
        raise FloeUsageError.single(
            str(report_file),
            "no report.json from the first stage",
            hint="download the first stage's artifact (its `artifacts-path`) into "
            "`working-directory`",
        )
    data = read_regular_file(report_file, str(report_file), MAX_REPORT_BYTES)
    try:
        result, plan = load_report(data)
    except ValueError as exc:
        raise FloeUsageError.single(
            str(report_file),
            f"not a floe-ci report: {exc}",
            hint="the first stage writes it with `floe-ci action` (command: check)",
        ) from None
    event = read_event(env, artifact_dir=workdir)
    comment, full = render_comments(result, plan, env, event)
    verdict = "failed" if result.failed() else "passed"
    url = ""
    if event.is_pull_request:
        url = post_comment(step, inputs.token, env, event, comment.text)
    else:
        step.command(
            "warning", "no pull request number in the event or the artifact: no comment posted"
        )
    step.summary(full.text)
    step.outputs(
        {"verdict": verdict, "comment-url": url, "artifacts-path": for_steps(workdir, env)}
    )
    return 0


def _report_usage_error(
    exc: FloeUsageError, workdir: Path, env: Mapping[str, str], step: Step
) -> None:
    """A configuration error, annotated on its file and line, in the summary and outputs."""
    from floe_ci.report.workflow_commands import Annotation, annotation_lines

    step.emit(
        annotation_lines(
            Annotation(
                "error",
                p.message + (f"\nhint: {p.hint}" if p.hint else ""),
                in_repository(p.file, workdir, env),
                p.line,
                p.column,
            )
            for p in exc.problems
        )
    )
    step.summary("### ❌ floe-ci: configuration error\n\n```\n" + str(exc) + "\n```\n")
    step.outputs({"verdict": "error", "findings-count": str(len(exc.problems))})
