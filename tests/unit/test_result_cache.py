"""The stored CheckResult of a fixed revision: hit, miss on each input it is keyed by, corrupt."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import floe_ci
from floe_ci.app import result_cache
from floe_ci.app.result_cache import RESULT_FILE, ResultCache
from floe_ci.governance.evaluate import CheckOptions
from floe_ci.governance.result import CheckResult, CheckStats, Finding

RESULT = CheckResult(
    tool_version="0.1.0",
    pipeline="shop",
    config_file="floe.yaml",
    environments=["production", "non_production"],
    fail_on="error",
    stats=CheckStats(models=3, classified_columns=2),
    findings=[
        Finding(
            rule_id="FLOE301",
            rule_name="classification-not-propagated",
            severity="error",
            message="`customers.email` is derived from `stg_customers.email`",
            model="customers",
            column="email",
            file="models/_marts.yml",
            line=12,
            lineage_path=["stg_customers.email", "customers.email"],
            waived=True,
            waiver_reason="hashed",
        )
    ],
)


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path, Path]:
    config = tmp_path / "floe.yaml"
    config.write_text("name: shop\n")
    manifest = tmp_path / "target" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text('{"nodes": {}}')
    return tmp_path / "cache", config, manifest


def cache_for(
    inputs: tuple[Path, Path, Path], commit: str = "a" * 40, options: CheckOptions | None = None
) -> ResultCache:
    folder, config, manifest = inputs
    return ResultCache.for_commit(folder, commit, options or CheckOptions(), config, manifest)


def test_a_saved_result_is_read_back_whole(inputs: tuple[Path, Path, Path]) -> None:
    assert cache_for(inputs).load() is None
    cache_for(inputs).save(RESULT)
    loaded = cache_for(inputs).load()
    assert loaded == RESULT
    assert loaded is not None and loaded.summary == RESULT.summary


def test_another_commit_misses(inputs: tuple[Path, Path, Path]) -> None:
    cache_for(inputs).save(RESULT)
    assert cache_for(inputs, commit="b" * 40).load() is None


def test_other_options_miss(inputs: tuple[Path, Path, Path]) -> None:
    cache_for(inputs).save(RESULT)
    assert cache_for(inputs, options=CheckOptions(environments=("production",))).load() is None
    assert cache_for(inputs, options=CheckOptions(base_path="pipelines/shop")).load() is None


def test_an_edited_floe_yaml_misses(inputs: tuple[Path, Path, Path]) -> None:
    cache_for(inputs).save(RESULT)
    _, config, _ = inputs
    stat = config.stat()
    config.write_text("name: shoq\n")  # same size, same mtime: the bytes decide
    os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert cache_for(inputs).load() is None


def test_a_new_manifest_misses(inputs: tuple[Path, Path, Path]) -> None:
    cache_for(inputs).save(RESULT)
    _, _, manifest = inputs
    stat = manifest.stat()
    os.utime(manifest, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert cache_for(inputs).load() is None


def test_other_floe_ci_code_misses(
    inputs: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_for(inputs).save(RESULT)
    monkeypatch.setattr(result_cache, "code_fingerprint", lambda: "an edited rule")
    assert cache_for(inputs).load() is None


def test_the_code_fingerprint_covers_the_rules(tmp_path: Path) -> None:
    from floe_ci.fsutil import source_digest

    fingerprint = result_cache.code_fingerprint()
    assert fingerprint.startswith(f"{floe_ci.__version__}:")
    result_cache.code_fingerprint.cache_clear()
    assert result_cache.code_fingerprint() == fingerprint  # stable for the same code
    rule = Path(floe_ci.__file__).parent / "governance" / "rules" / "base.py"
    assert source_digest([rule]) != source_digest([rule.with_name("__init__.py")])
    edited = tmp_path / "base.py"
    edited.write_bytes(rule.read_bytes())
    before = source_digest([edited])
    edited.write_bytes(rule.read_bytes() + b"\n# edited\n")  # the same file, edited
    assert source_digest([edited]) != before
    renamed = tmp_path / "other.py"
    renamed.write_bytes(edited.read_bytes())
    assert source_digest([renamed]) != source_digest([edited])  # the same bytes elsewhere


@pytest.mark.parametrize(
    "content",
    [b"", b"not a key", b"\xff\xfe", None, b'{"findings": "nope"}'],
)
def test_a_corrupt_file_is_a_miss(inputs: tuple[Path, Path, Path], content: bytes | None) -> None:
    cache = cache_for(inputs)
    cache.save(RESULT)
    path = cache.folder / RESULT_FILE
    if content is None:  # the right key, a broken body
        path.write_text(cache.key + "\n{broken")
    elif content.startswith(b"{"):
        path.write_bytes(cache.key.encode() + b"\n" + content)
    else:
        path.write_bytes(content)
    assert cache_for(inputs).load() is None
    cache.save(RESULT)  # and a rewrite repairs it
    assert cache_for(inputs).load() == RESULT
