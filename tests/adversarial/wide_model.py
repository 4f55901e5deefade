"""A project with one very wide model: examples/shop plus `wide`, N columns copied from a
classified column (each column then is a FLOE301 finding located in the SQL). Shared by the
adversarial test and bench/bench_wide_model.py."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import copy_example


def wide_project(dest: Path, columns: int) -> Path:
    project = copy_example(dest)
    select = ",\n".join(f"    email as col_{i}" for i in range(columns))
    (project / "models" / "marts" / "wide.sql").write_text(
        f"select\n{select}\nfrom {{{{ ref('stg_customers') }}}}\n"
    )
    return project
