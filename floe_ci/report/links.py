"""Links from the pull-request comment to the files of the commit under review.

Only the action knows the repository and the head commit, so a renderer gets them as a
`BlobLinks` (or None: a local `floe-ci check --base REF --format markdown` links nothing).
Links point at the commit, not the branch, so a line number stays right after a push.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
# RFC 3986's unreserved characters and `/`; everything else in a path is percent-encoded.
_KEPT = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/")


def quote_path(path: str) -> str:
    """`path` as a URL path: UTF-8, percent-encoded but for unreserved characters and `/`
    (written here because the core imports no urllib, see .importlinter)."""
    return "".join(chr(b) if b in _KEPT else f"%{b:02X}" for b in path.encode("utf-8"))


@dataclass(frozen=True)
class BlobLinks:
    """Where the head commit's files are on GitHub: `{server_url}/{repository}/blob/{sha}/`.

    `repository` is `OWNER/REPO` (GITHUB_REPOSITORY), `sha` the full head commit (the pull
    request's `head.sha`), `server_url` GITHUB_SERVER_URL (GitHub Enterprise Server differs).
    """

    repository: str
    sha: str
    server_url: str = "https://github.com"

    def __post_init__(self) -> None:
        if not _REPOSITORY.fullmatch(self.repository):
            raise ValueError(f"repository must be OWNER/REPO, not {self.repository!r}")
        if not _SHA.fullmatch(self.sha):
            raise ValueError(f"sha must be a full lower-case commit id, not {self.sha!r}")
        if not self.server_url.startswith(("https://", "http://")):
            raise ValueError(f"server_url must be an http(s) URL, not {self.server_url!r}")

    def url(self, path: str, line: int | None = None) -> str:
        """The blob URL of `path` (relative to the repository root), at `line` if given."""
        base = f"{self.server_url.rstrip('/')}/{self.repository}/blob/{self.sha}/"
        anchor = f"#L{line}" if line is not None else ""
        return base + quote_path(path.lstrip("/")) + anchor
