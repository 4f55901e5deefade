"""GitHub annotations: escaped as @actions/core escapes them, capped as GitHub shows them."""

from __future__ import annotations

from floe_ci.report.github import render_github
from floe_ci.report.workflow_commands import (
    MAX_ANNOTATIONS_PER_LEVEL,
    escape_data,
    escape_property,
)
from tests.unit.report_samples import finding, sample_result


def test_escaping_follows_the_toolkit() -> None:
    assert escape_data("100%\r\nnext") == "100%25%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_one_annotation_per_active_finding_at_its_file_line_and_column() -> None:
    lines = render_github(sample_result()).splitlines()
    assert lines[0] == (
        "::error file=examples/shop/floe.yaml,line=42,col=9,title=FLOE103 restrict-without-role"
        "::policy `financial` restricts production access but names no role%0Ahint: fix it"
    )
    warning = next(line for line in lines if line.startswith("::warning"))
    assert "file=examples/shop/models/staging/_staging.yml,line=41," in warning
    assert "looks like personal data | 100%25, a:b, c%0Aend" in warning
    # The waived finding is not annotated but counted in the closing notice.
    assert lines[-1].startswith("::notice title=floe-ci check::floe-ci: 1 waived")
    assert len(lines) == 4


def test_capped_at_ten_per_level_with_the_rest_summarized() -> None:
    many = [
        finding("FLOE301", "classification-not-propagated", file="m.yml", line=i, model=f"m{i}")
        for i in range(1, 16)
    ] + [
        finding("FLOE201", "unclassified-pii", "warning", file="s.yml", line=i, model=f"s{i}")
        for i in range(1, 13)
    ]
    lines = render_github(sample_result(many)).splitlines()
    assert sum(line.startswith("::error ") for line in lines) == MAX_ANNOTATIONS_PER_LEVEL
    assert sum(line.startswith("::warning ") for line in lines) == MAX_ANNOTATIONS_PER_LEVEL
    notices = [line for line in lines if line.startswith("::notice ")]
    assert len(notices) == 1
    # 17 errors (2 sample + 15) and 13 warnings: 7 and 3 hidden.
    assert "7 more errors, 3 more warnings, 1 waived not shown" in notices[0]


def test_the_closing_notice_keeps_a_notice_slot_for_itself() -> None:
    infos = [
        finding("FLOE205", "missing-description", "info", file="m.yml", line=i, model=f"m{i}")
        for i in range(1, 11)
    ]
    lines = render_github(sample_result().model_copy(update={"findings": infos})).splitlines()
    notices = [line for line in lines if line.startswith("::notice ")]
    assert len(notices) == MAX_ANNOTATIONS_PER_LEVEL  # 9 findings and the closing notice
    assert "floe-ci: 1 more info not shown" in notices[-1]


def test_a_clean_result_prints_nothing() -> None:
    result = sample_result().model_copy(update={"findings": []})
    assert render_github(result) == ""
