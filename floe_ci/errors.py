"""User-facing errors: each one says where (file:line:column), what, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a user's input, located as precisely as we can."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    hint: str | None = None

    def location(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def render(self) -> str:
        text = f"{self.location()}: error: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


@dataclass
class FloeUsageError(Exception):
    """Bad input or configuration. The CLI prints the problems and exits with code 2."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return render_problems(self.problems)

    @classmethod
    def single(
        cls,
        file: str,
        message: str,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> FloeUsageError:
        return cls([Problem(file, message, line, column, hint)])


# A message should fit on one screen; the rest is summarized.
MAX_PROBLEMS_SHOWN = 15


def render_problems(problems: list[Problem]) -> str:
    shown = [p.render() for p in problems[:MAX_PROBLEMS_SHOWN]]
    hidden = len(problems) - len(shown)
    if hidden > 0:
        shown.append(f"... and {hidden} more problem(s); fix the ones above and run again.")
    return "\n".join(shown)
