"""Point at a column in a model's SQL when it is not declared in a properties YAML.

A good guess beats no line at all for an annotation: the last `AS column` alias (the final
SELECT comes last in a dbt model), else the last bare mention of the name.

One pass over a model's SQL indexes every name it mentions (`_index`, kept for the few
models being located at a time), so locating all 20,000 columns of a wide model is linear
in its size, not one scan of the SQL per column.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

# A name as SQL writes it: "quoted", `quoted`, or a bare word; with the `as` before it.
_TOKEN = re.compile(
    r"""(?P<alias>\bas\s+)?(?:"(?P<dq>[^"\n]*)"|`(?P<bt>[^`\n]*)`|(?P<word>\w+))""", re.IGNORECASE
)


class _Names(NamedTuple):
    aliases: dict[str, int]  # lower-case name -> offset of its last `AS name`
    mentions: dict[str, int]  # lower-case name -> offset of its last mention
    line_starts: list[int]


@lru_cache(maxsize=16)
def _index(sql: str) -> _Names:
    aliases: dict[str, int] = {}
    mentions: dict[str, int] = {}
    for match in _TOKEN.finditer(sql):
        for group in ("dq", "bt", "word"):
            name = match.group(group)
            if name is not None:
                break
        assert name is not None  # the pattern always matches one of the three
        # A quoted name is pointed at by its opening quote.
        start = match.start(group) - (0 if group == "word" else 1)
        key = name.lower()
        mentions[key] = start
        if match.group("alias") is not None:
            aliases[key] = start
    starts = [0] + [m.end() for m in re.finditer("\n", sql)]
    return _Names(aliases, mentions, starts)


def find_column_in_sql(sql: str, column: str) -> tuple[int, int] | None:
    """1-based (line, column) of the column's alias or name in `sql`, or None."""
    if not sql or not column:
        return None
    names = _index(sql)
    key = column.lower()
    start = names.aliases.get(key, names.mentions.get(key))
    if start is None:
        return None
    from bisect import bisect_right

    line = bisect_right(names.line_starts, start)
    return line, start - names.line_starts[line - 1] + 1
