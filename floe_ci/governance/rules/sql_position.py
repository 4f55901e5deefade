"""Point at a column in a model's SQL when it is not declared in a properties YAML.

A good guess beats no line at all for an annotation: the last `AS column` alias (the final
SELECT comes last in a dbt model), else the last bare mention of the name.
"""

from __future__ import annotations

import re


def find_column_in_sql(sql: str, column: str) -> tuple[int, int] | None:
    """1-based (line, column) of the column's alias or name in `sql`, or None."""
    if not sql or not column:
        return None
    name = re.escape(column)
    quoted = rf'(?:"{name}"|`{name}`|\b{name}\b)'
    for pattern in (rf"\bas\s+{quoted}", quoted):
        matches = list(re.finditer(pattern, sql, flags=re.IGNORECASE))
        if matches:
            match = matches[-1]
            start = match.start()
            # Point at the name itself, not at `as`.
            inner = re.search(quoted, match.group(0), flags=re.IGNORECASE)
            if inner is not None:
                start += inner.start()
            line = sql.count("\n", 0, start) + 1
            col = start - (sql.rfind("\n", 0, start) + 1) + 1
            return line, col
    return None
