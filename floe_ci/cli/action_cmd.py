"""`floe-ci action`: the GitHub Action's entry point (the Docker image's ENTRYPOINT).

Inputs arrive only through the environment (`INPUT_<NAME>`, hyphens kept, as the runner
passes them to a Docker action; `INPUT_<NAME_WITH_UNDERSCORES>` is accepted too), never
through a shell. The exit code is the verdict's: a comment that cannot be written is a
warning, never a failure.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, cast

import click

if TYPE_CHECKING:
    from floe_ci.governance.result import CheckResult, FailOn
    from floe_ci.integrations.github.event import EventContext
    from floe_ci.plan.changes import Plan
    from floe_ci.report.pr_comment import RenderedComment

# Other floe-ci commands (e.g. `validate`, `compile`) run as `floe-ci COMMAND --config CONFIG`.
COMMANDS = ("check", "comment")
FAIL_ON = ("error", "warning", "never")
ARTIFACTS_SUBDIR = Path(".floe") / "github"
EXIT_FINDINGS = 1


@dataclass(frozen=True)
class ActionInputs:
    command: str
    config: str
    base_ref: str
    fail_on: str
    comment: bool
    token: str
    working_directory: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ActionInputs:
        from floe_ci.errors import FloeUsageError

        command = action_input(env, "command", "check")
        fail_on = action_input(env, "fail-on", "error")
        comment = action_input(env, "comment", "true").lower()
        problems = []
        known = _known_commands()
        if command not in known:
            problems.append(f"input `command`: `{command}` is not one of {', '.join(known)}")
        if fail_on not in FAIL_ON:
            problems.append(f"input `fail-on`: `{fail_on}` is not one of {', '.join(FAIL_ON)}")
        if comment not in ("true", "false", "on", "off", "yes", "no"):
            problems.append(f"input `comment`: `{comment}` is not true or false")
        if problems:
            raise FloeUsageError.single(
                "action.yml", "; ".join(problems), hint="fix the `with:` block of the step"
            )
        return cls(
            command=command,
            config=action_input(env, "config", "floe.yaml"),
            base_ref=action_input(env, "base-ref", ""),
            fail_on=fail_on,
            comment=comment in ("true", "on", "yes"),
            token=action_input(env, "github-token", "") or env.get("GITHUB_TOKEN", ""),
            working_directory=action_input(env, "working-directory", "."),
        )


def _known_commands() -> list[str]:
    from floe_ci.cli.main import cli

    others = sorted(name for name in cli.commands if name not in (*COMMANDS, "action"))
    return [*COMMANDS, *others]


def action_input(env: Mapping[str, str], name: str, default: str) -> str:
    """An input as a Docker action receives it: INPUT_<NAME> with hyphens kept."""
    upper = name.upper()
    for key in (f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}"):
        value = env.get(key, "").strip()
        if value:
            return value
    return default


@click.command("action")
def action_command() -> None:
    """Run floe-ci as the GitHub Action does: check, annotate, summarize and comment.

    Reads the inputs from INPUT_* variables and the event from GITHUB_EVENT_PATH; writes
    $GITHUB_STEP_SUMMARY and $GITHUB_OUTPUT; posts or updates one pull-request comment.
    `command: comment` is the trusted second stage of the fork-safe workflow: it posts the
    comment that the first stage left in `working-directory` (comment.md, pr-number).

    \b
    Example (what the Docker image runs):
      INPUT_COMMAND=check INPUT_CONFIG=floe.yaml INPUT_FAIL-ON=warning floe-ci action
    """
    from floe_ci.errors import FloeUsageError
    from floe_ci.integrations.github import workflow_commands as wc
    from floe_ci.integrations.github.masking import values_to_mask

    env = dict(os.environ)
    out = sys.stdout
    inputs = ActionInputs.from_env(env)
    workdir = (Path(env.get("GITHUB_WORKSPACE") or ".") / inputs.working_directory).resolve()
    masked = values_to_mask(env, extra_values=[inputs.token])
    _mask(masked, out)
    if inputs.command == "comment":
        sys.exit(_comment_stage(inputs, workdir, env, out))
    if inputs.command != "check":
        sys.exit(_other_command(inputs, workdir))
    try:
        code = _check_stage(inputs, workdir, env, out, set(masked))
    except FloeUsageError as exc:
        lines = wc.annotation_lines(
            wc.Annotation(
                "error",
                p.message + (f"\nhint: {p.hint}" if p.hint else ""),
                _in_repository(p.file, workdir, env),
                p.line,
                p.column,
            )
            for p in exc.problems
        )
        wc.emit(lines, out)
        wc.append_summary("### ❌ floe-ci: configuration error\n\n```\n" + str(exc) + "\n```\n")
        wc.write_outputs({"verdict": "error", "findings-count": str(len(exc.problems))})
        raise
    sys.exit(code)


def _check_stage(
    inputs: ActionInputs, workdir: Path, env: dict[str, str], out: TextIO, masked: set[str]
) -> int:
    from floe_ci.app.check import run_check
    from floe_ci.app.review import review_pull_request
    from floe_ci.app.spec_file import load_spec
    from floe_ci.fsutil import write_atomic
    from floe_ci.governance.evaluate import CheckOptions
    from floe_ci.integrations.github import workflow_commands as wc
    from floe_ci.integrations.github.event import PR_NUMBER_FILE, read_event
    from floe_ci.integrations.github.masking import referenced_env_names, values_to_mask
    from floe_ci.report.github import render_github
    from floe_ci.report.json_report import render_json
    from floe_ci.report.sarif import render_sarif

    config = workdir / inputs.config
    shown = inputs.config
    loaded = load_spec(config, shown)
    named = referenced_env_names(loaded.spec.model_dump(mode="json"))
    more = values_to_mask({name: env[name] for name in named if name in env}, named)
    _mask([value for value in more if value not in masked], out)
    event = read_event(env)
    fail_on = cast("FailOn", inputs.fail_on)  # checked against FAIL_ON when read
    options = CheckOptions(fail_on=fail_on, config_file=shown)
    plan = None
    if inputs.base_ref:
        # The plan's review findings (declassification, breaking change, weaker policy)
        # count toward the verdict like the rules' findings, in every report.
        result, plan = review_pull_request(config, inputs.base_ref, options)
    else:
        result = run_check(config, options)
    sarif = render_sarif(result)
    verdict = "failed" if result.failed() else "passed"
    artifacts = config.resolve().parent / ARTIFACTS_SUBDIR
    comment, full = _render(result, plan, env, event)
    files = {
        "report.json": render_json(result),
        "report.sarif": sarif,
        "comment.md": comment.text,
        "summary.md": full.text,
        "verdict": verdict + "\n",
    }
    if event.pull_number is not None:
        files[PR_NUMBER_FILE] = f"{event.pull_number}\n"
    for name, text in files.items():
        write_atomic(artifacts / name, text)

    out.write(render_github(result))
    wc.append_summary(full.text)
    comment_url = ""
    if inputs.comment and event.is_pull_request:
        comment_url = _post(inputs, env, event, comment.text, out)
    elif inputs.comment and event.name not in ("", "local"):
        wc.emit(
            [wc.command("notice", f"no pull request in a `{event.name}` event: no comment posted")],
            out,
        )
    wc.write_outputs(
        {
            "verdict": verdict,
            "findings-count": str(len(result.active())),
            "comment-url": comment_url,
            "report-path": _for_steps(artifacts / "report.json", env),
            "sarif-path": _for_steps(artifacts / "report.sarif", env),
            "artifacts-path": _for_steps(artifacts, env),
        }
    )
    click.echo(f"floe-ci: {result.verdict()} (report: {artifacts})")
    return EXIT_FINDINGS if result.failed() else 0


def _render(
    result: CheckResult, plan: Plan | None, env: Mapping[str, str], event: EventContext
) -> tuple[RenderedComment, RenderedComment]:
    from floe_ci import __version__
    from floe_ci.app.templates import comment_template
    from floe_ci.integrations.github.workflow_commands import MAX_SUMMARY_BYTES
    from floe_ci.report.review_comment import render_review_comment

    footer = [f"floe-ci {__version__}"]
    if event.head_sha:
        footer.append(f"commit {event.head_sha[:12]}")
    run_id, repository = env.get("GITHUB_RUN_ID"), env.get("GITHUB_REPOSITORY")
    if run_id and repository:
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        attempt = env.get("GITHUB_RUN_ATTEMPT", "1")
        footer.append(
            f"[run {run_id}]({server}/{repository}/actions/runs/{run_id}/attempts/{attempt})"
        )
    text = " · ".join(footer)
    comment = render_review_comment(result, plan, text, template=comment_template())
    # The job summary holds everything the comment had to cut (4 bytes per character at worst).
    full = render_review_comment(
        result, plan, text, template=comment_template(), limit=MAX_SUMMARY_BYTES // 4
    )
    return comment, full


def _post(
    inputs: ActionInputs, env: Mapping[str, str], event: EventContext, body: str, out: TextIO
) -> str:
    """Create or update the sticky comment; on failure warn and point to the summary."""
    from floe_ci.integrations.github import workflow_commands as wc
    from floe_ci.integrations.github.client import (
        DEFAULT_API_URL,
        CommentError,
        CommentNotPermitted,
        GitHubSettings,
        connect,
        pull_head_sha,
        upsert_sticky_comment,
    )

    if not inputs.token:
        wc.emit(
            [wc.command("warning", "no github-token: the verdict is in the job summary only")], out
        )
        return ""
    if not event.repository or event.pull_number is None:
        wc.emit([wc.command("warning", "the event names no repository: no comment posted")], out)
        return ""
    settings = GitHubSettings(
        token=inputs.token,
        api_url=env.get("GITHUB_API_URL") or DEFAULT_API_URL,
        backoff_factor=float(env.get("FLOE_GITHUB_BACKOFF", "1.0")),
        secondary_rate_wait=float(env.get("FLOE_GITHUB_RATE_WAIT", "60")),
    )
    gh = connect(settings)
    try:
        if event.expected_head_sha is not None:
            head = pull_head_sha(gh, event.repository, event.pull_number)
            if head != event.expected_head_sha:
                wc.emit(
                    [
                        wc.command(
                            "warning",
                            f"pull request #{event.pull_number} now points to {head[:12]}, not to "
                            f"the commit the report is about ({event.expected_head_sha[:12]}): "
                            "no comment posted",
                        )
                    ],
                    out,
                )
                return ""
        posted = upsert_sticky_comment(gh, event.repository, event.pull_number, body)
    except CommentNotPermitted as exc:
        wc.emit(
            [
                wc.command(
                    "warning",
                    f"{exc}. The verdict is in the job summary.",
                    {"title": "floe-ci comment"},
                )
            ],
            out,
        )
        wc.append_summary(f"> [!WARNING]\n> The pull-request comment was not posted: {exc}.\n")
        return ""
    except CommentError as exc:
        wc.emit(
            [
                wc.command(
                    "warning",
                    f"{exc}. The verdict is in the job summary.",
                    {"title": "floe-ci comment"},
                )
            ],
            out,
        )
        return ""
    finally:
        gh.close()
    click.echo(f"floe-ci: comment {posted.action}: {posted.url}")
    return posted.url


def _other_command(inputs: ActionInputs, workdir: Path) -> int:
    """`floe-ci COMMAND --config CONFIG` in this process (no shell, no re-parsing of input)."""
    from floe_ci.cli.main import cli

    code = cli.main(
        args=[inputs.command, "--config", str(workdir / inputs.config)],
        prog_name="floe-ci",
        standalone_mode=False,
    )
    return code if isinstance(code, int) else 0


def _comment_stage(inputs: ActionInputs, workdir: Path, env: dict[str, str], out: TextIO) -> int:
    """Second stage (workflow_run): post the first stage's comment with a write token."""
    from floe_ci.errors import FloeUsageError
    from floe_ci.integrations.github import workflow_commands as wc
    from floe_ci.integrations.github.event import read_event
    from floe_ci.report.pr_comment import GITHUB_COMMENT_LIMIT

    comment_file = workdir / "comment.md"
    if not comment_file.is_file():
        raise FloeUsageError.single(
            str(comment_file),
            "no comment.md from the first stage",
            hint="download the first stage's artifact into `working-directory`",
        )
    body = comment_file.read_text(encoding="utf-8", errors="replace")
    # The artifact was written by code from the pull request: never trust its size.
    if len(body) > GITHUB_COMMENT_LIMIT:
        note = "\n\n*The report was cut to fit; the first stage's job summary has all of it.*"
        body = body[: GITHUB_COMMENT_LIMIT - len(note)] + note
    event = read_event(env, artifact_dir=workdir)
    verdict_file = workdir / "verdict"
    verdict = verdict_file.read_text(encoding="utf-8").strip() if verdict_file.is_file() else ""
    if verdict not in ("passed", "failed", "error"):
        verdict = "unknown"
    url = ""
    if event.is_pull_request:
        url = _post(inputs, env, event, body, out)
    else:
        wc.emit(
            [
                wc.command(
                    "warning",
                    "no pull request number in the event or the artifact: no comment posted",
                )
            ],
            out,
        )
    wc.append_summary(body)
    wc.write_outputs(
        {"verdict": verdict, "comment-url": url, "artifacts-path": _for_steps(workdir, env)}
    )
    return 0


def _in_repository(file: str, workdir: Path, env: Mapping[str, str]) -> str:
    """A problem's file as GitHub wants it in an annotation: relative to the repository."""
    path = Path(file)
    if not path.is_absolute():
        path = workdir / path
    return _for_steps(path, env)


def _for_steps(path: Path, env: Mapping[str, str]) -> str:
    """A path later steps can use: relative to the workspace, which a Docker action sees
    mounted at another place (/github/workspace) than the steps that run on the host."""
    workspace = Path(env.get("GITHUB_WORKSPACE") or ".").resolve()
    try:
        return path.resolve().relative_to(workspace).as_posix()
    except ValueError:
        return str(path)


def _mask(values: list[str], out: TextIO) -> None:
    """`::add-mask::` first, so that nothing printed afterwards can show these values."""
    from floe_ci.integrations.github.workflow_commands import add_mask_lines, emit

    emit([line for value in values for line in add_mask_lines(value)], out)
