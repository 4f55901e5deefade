"""The progress display of long steps, and the durations it records."""

from __future__ import annotations

import io
import time

import pytest

from floe_ci.app import progress as progress_module
from floe_ci.app.progress import Progress, activated, step, write_out


@pytest.fixture(autouse=True)
def fast_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thresholds a hundred times shorter, so a test waits milliseconds."""
    monkeypatch.setattr(progress_module, "TICK", 0.005)
    monkeypatch.setattr(progress_module, "LIVE_AFTER", 0.0)
    monkeypatch.setattr(progress_module, "PLAIN_AFTER", 0.03)
    monkeypatch.setattr(progress_module, "PLAIN_NOTE_EVERY", 0.06)


def test_ci_log_gets_start_and_end_lines_of_long_steps_only() -> None:
    out = io.StringIO()
    with activated(Progress(out, live=False, command="floe-ci check")):
        with step("spec", "floe.yaml"):
            pass  # short: nothing printed
        with step("dbt_parse", "dbt parse"):
            time.sleep(0.1)
    lines = out.getvalue().splitlines()
    assert lines[0] == "floe-ci check: dbt parse…"
    assert any("still running" in line for line in lines[1:-1])
    assert lines[-1].startswith("floe-ci check: dbt parse: done in ")
    assert "floe.yaml" not in out.getvalue()
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()


def test_a_step_that_fails_says_it_stopped() -> None:
    out = io.StringIO()
    with (
        pytest.raises(RuntimeError),
        activated(Progress(out, live=False, command="floe run")),
        step("dbt_build", "dbt build"),
    ):
        time.sleep(0.06)
        raise RuntimeError("boom")
    assert out.getvalue().splitlines()[-1].startswith("floe run: dbt build: stopped after ")


def test_terminal_line_shows_the_innermost_step_with_counts_and_is_cleared() -> None:
    out = io.StringIO()
    with (
        activated(Progress(out, live=True, command="floe-ci check")),
        step("base_revision", "base revision"),
        step("lineage", unit="models") as lineage,
    ):
        lineage.update(1200, 5000)
        time.sleep(0.05)
    text = out.getvalue()
    assert " base revision › lineage 1,200/5,000 models " in text
    assert "\x1b[K" in text
    assert text.endswith("\r\x1b[K")  # nothing of the line is left behind
    assert "\n" not in text


def test_text_for_standard_output_clears_the_line_first() -> None:
    events: list[str] = []

    class Recording(io.StringIO):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

        def write(self, text: str) -> int:
            events.append(f"{self.name}:{text}")
            return super().write(text)

    err, out = Recording("err"), Recording("out")
    with activated(Progress(err, live=True, command="floe run")), step("dbt_build"):
        time.sleep(0.03)
        write_out(out, "  ✓ model orders\n")
        time.sleep(0.03)
    assert out.getvalue() == "  ✓ model orders\n"
    written = events.index("out:  ✓ model orders\n")
    assert events[written - 1] == "err:\r\x1b[K", events  # the live line went away first
    assert any(event.startswith("err:\r") for event in events[written + 1 : -1])  # and came back


def test_durations_nest_and_add_up() -> None:
    progress = Progress(None, live=False)
    with activated(progress):
        with step("base_revision"), step("dbt_parse"):
            time.sleep(0.01)
        with step("base_revision"):
            time.sleep(0.01)
        with step("plan"):
            time.sleep(0.01)
    assert list(progress.durations) == ["base_revision.dbt_parse", "base_revision", "plan"]
    assert progress.durations["base_revision"] >= 0.02
    assert progress.durations["base_revision"] >= progress.durations["base_revision.dbt_parse"]
    summary = progress.summary()
    assert summary[0].split()[0] == "base_revision.dbt_parse"
    assert summary[-1].split()[0] == "total"


def test_quiet_prints_nothing_and_still_times() -> None:
    progress = Progress(None, live=True)
    with activated(progress), step("lineage") as lineage:
        lineage.update(3, 4)
        time.sleep(0.02)
    assert progress.durations["lineage"] > 0


def test_steps_outside_a_command_are_harmless() -> None:
    with step("lineage", unit="models") as lineage:
        lineage.update(1, 2)
    buffer = io.StringIO()
    write_out(buffer, "text\n")
    assert buffer.getvalue() == "text\n"
