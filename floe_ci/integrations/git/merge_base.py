"""The base a pull request is reviewed against: the merge base of its base commit and the head.

GitHub's "Files changed" compares the head with the merge base, not with the base branch's
tip, so a base branch that moved on is not shown as the pull request reverting its changes.
actions/checkout clones one commit deep by default, so the base commit and the common
ancestor are usually missing: they are fetched from `origin` with the run's token, a few
commits at a time, until `git merge-base` answers (the same loop as `git fetch --deepen`,
but with depths counted from the two tips, so each round's reach is known).

The token is handed to git through GIT_CONFIG_* environment variables (an `http.extraheader`
scoped to the remote's host, https only): never on a command line, never in `.git/config`,
never in a message.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from floe_ci.errors import FloeUsageError
from floe_ci.integrations.git.worktree import GitError, git

# Commits fetched from each tip per round; after the last, the whole history.
DEFAULT_DEPTHS = (50, 200, 1000, 5000)
_SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")
# Variables that make git print its traffic (headers included) to stderr.
_TRACE_VARIABLES = ("GIT_TRACE", "GIT_TRACE_CURL", "GIT_TRACE_PACKET", "GIT_CURL_VERBOSE")
HINT = (
    "check out with `fetch-depth: 0`, give the step a token that may read the repository "
    "(`github-token`), or name the base with `base-ref`"
)


def pull_request_base(
    folder: Path,
    base_sha: str,
    token: str = "",
    *,
    depths: Sequence[int] = DEFAULT_DEPTHS,
    remote: str = "origin",
    env: Mapping[str, str] | None = None,
) -> str:
    """The merge base of `base_sha` and HEAD of the repository holding `folder`, fetching
    from `remote` what a shallow or partial clone lacks. Raises FloeUsageError (with the fix)
    when git cannot answer: no repository, no remote, no access, or no common history."""
    if not _SHA.fullmatch(base_sha):
        raise FloeUsageError.single(
            "GITHUB_EVENT_PATH", f"the event's base commit `{base_sha[:80]}` is not a commit id"
        )
    try:
        head = git(["rev-parse", "--verify", "HEAD^{commit}"], folder)
    except GitError as exc:
        raise FloeUsageError.single(
            str(folder), f"the pull request's head is not a git checkout: {exc}", hint=HINT
        ) from None
    fetch_env = _fetch_env(folder, remote, token, os.environ if env is None else env)
    # The head is fetched too: a depth-1 clone knows the head's tree, not its parents.
    wants = [base_sha] if base_sha == head else [base_sha, head]
    rounds = [*depths, None]  # None: the whole history
    for depth in rounds:
        if _has_commit(base_sha, folder):
            found = _merge_base(base_sha, head, folder)
            if found:
                return found
            if not _is_shallow(folder):
                raise FloeUsageError.single(
                    str(folder),
                    f"the pull request's base {base_sha[:12]} and head {head[:12]} share no "
                    "history",
                    hint="name the commit to compare with in `base-ref`",
                )
        _fetch(folder, remote, wants, depth, fetch_env)
    found = _merge_base(base_sha, head, folder)
    if found:
        return found
    raise FloeUsageError.single(
        str(folder), f"git merge-base {base_sha[:12]} {head[:12]} found no common commit"
    )


def _fetch(
    folder: Path, remote: str, wants: list[str], depth: int | None, env: Mapping[str, str]
) -> None:
    args = ["fetch", "--no-tags", "--no-recurse-submodules", "--quiet"]
    if _is_shallow(folder):
        args.append(f"--depth={depth}" if depth is not None else "--unshallow")
    # --end-of-options: nothing from the event is ever read as an option.
    args += ["--end-of-options", remote, *wants]
    try:
        git(args, folder, env=env, timeout=600)
    except GitError as exc:
        raise FloeUsageError.single(
            str(folder),
            f"cannot fetch the pull request's base {wants[0][:12]} from `{remote}`: {exc}",
            hint=HINT,
        ) from None


def _has_commit(sha: str, folder: Path) -> bool:
    try:
        git(["cat-file", "-e", f"{sha}^{{commit}}"], folder)
    except GitError:
        return False
    return True


def _merge_base(base: str, head: str, folder: Path) -> str | None:
    try:
        return git(["merge-base", "--end-of-options", base, head], folder) or None
    except GitError:
        return None  # exit 1: none found within the history fetched so far


def _is_shallow(folder: Path) -> bool:
    return git(["rev-parse", "--is-shallow-repository"], folder) == "true"


def _fetch_env(folder: Path, remote: str, token: str, env: Mapping[str, str]) -> dict[str, str]:
    """The environment of `git fetch`: no prompt, no traffic traces, and for an https
    remote the token as an Authorization header for that host only."""
    out = {k: v for k, v in env.items() if k not in _TRACE_VARIABLES}
    out["GIT_TERMINAL_PROMPT"] = "0"
    try:
        url = git(["remote", "get-url", "--", remote], folder)
    except GitError:
        raise FloeUsageError.single(
            str(folder), f"the checkout has no remote `{remote}` to fetch the base from", hint=HINT
        ) from None
    out.update(auth_config(url, token, env))
    return out


def auth_config(url: str, token: str, env: Mapping[str, str]) -> dict[str, str]:
    """GIT_CONFIG_* variables that send `token` to `url`'s host, as actions/checkout does
    (`AUTHORIZATION: basic base64(x-access-token:TOKEN)`); none for a remote that is not
    https (a token never travels in clear text, nor to a file or ssh remote).

    The key is scoped like actions/checkout's own (`http.https://HOST/.extraheader`), and
    is reset before it is set, so a header that checkout persisted is replaced, not doubled.
    """
    parts = urlsplit(url)
    if not token or parts.scheme != "https" or not parts.hostname:
        return {}
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    key = f"http.https://{host}/.extraheader"
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")
    count = env.get("GIT_CONFIG_COUNT", "")
    start = int(count) if count.isascii() and count.isdigit() else 0
    pairs = [(key, ""), (key, f"AUTHORIZATION: basic {basic}")]
    config = {"GIT_CONFIG_COUNT": str(start + len(pairs))}
    for index, (name, value) in enumerate(pairs, start):
        config[f"GIT_CONFIG_KEY_{index}"] = name
        config[f"GIT_CONFIG_VALUE_{index}"] = value
    return config
