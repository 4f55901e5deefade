"""`floe-ci deploy` on the example through the installed command: a dry run renders valid
manifests and builds nothing; a real run builds dbt on DuckDB, generates the Cube models and
stops at the cluster (no Kubernetes API server exists here) naming the helm step."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.conftest import copy_example

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
CUBE_SECRET = "cube-secret-value-5512"
UNREACHABLE_KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
  - name: prod
    cluster: {server: "https://127.0.0.1:1"}
contexts:
  - name: prod
    context: {cluster: prod, user: deployer}
current-context: prod
users:
  - name: deployer
    user: {token: kube-token-value-9931}
"""


def floe_ci(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "floe-ci"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "DO_NOT_TRACK": "1",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "CUBE_API_SECRET": CUBE_SECRET,
            **(env or {}),
        },
        timeout=600,
    )


@pytest.fixture(scope="module")
def dry_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    root = copy_example(tmp_path_factory.mktemp("dry") / "shop")
    return root, floe_ci("deploy", "--dry-run", cwd=root)


@pytest.fixture(scope="module")
def real_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    root = copy_example(tmp_path_factory.mktemp("real") / "shop")
    kubeconfig = root.parent / "kubeconfig"
    kubeconfig.write_text(UNREACHABLE_KUBECONFIG)
    return root, floe_ci("deploy", "-c", "floe.yaml", cwd=root, env={"KUBECONFIG": str(kubeconfig)})


def test_dry_run_renders_valid_manifests_and_builds_nothing(
    dry_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    root, done = dry_run
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    out = done.stdout
    assert "- dbt build" in out and "--dry-run" in out
    assert "✓ cube sync" in out and "compiled by Cube" in out
    assert "✓ helm lint" in out and "✓ helm template" in out
    assert "valid for Kubernetes 1.33" in out
    assert not (root / "target" / "shop.duckdb").exists()  # nothing built
    docs = [d for d in yaml.safe_load_all((root / ".floe/deploy/rendered.yaml").read_text()) if d]
    assert len(docs) >= 10
    for doc in docs:
        kubernetes_validate.validate(doc, "1.33.0", strict=True)
    models = root / ".floe" / "cube" / "model"
    table = yaml.safe_load((models / "orders.yml").read_text())["cubes"][0]["sql_table"]
    assert table == '"shop"."main"."orders"'  # the deployment profile's table, not the parse's


def test_real_run_builds_then_fails_at_the_cluster_naming_the_helm_step(
    real_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    root, done = real_run
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stdout.splitlines()
    order = [
        line.split()[1] for line in lines if line.startswith("  ") and line.split()[0] in "✓✗-"
    ]
    assert order == ["compile", "plan", "dbt", "cube", "helm", "helm"]
    assert any(line.startswith("  ✓ dbt build") and "6 success" in line for line in lines)
    assert any(line.startswith("  ✓ cube sync") for line in lines)
    assert any(line.startswith("  ✗ helm upgrade --install") for line in lines)
    assert "127.0.0.1:1" in done.stdout  # helm's own reason
    assert "step `helm upgrade --install` failed" in done.stderr
    assert (root / "target" / "shop.duckdb").is_file()
    assert sorted(p.name for p in (root / ".floe/cube/model").iterdir()) == [
        "customers.yml",
        "orders.yml",
    ]
    assert CUBE_SECRET not in done.stdout + done.stderr
    assert "kube-token-value" not in done.stdout + done.stderr
    generated = (root / ".floe/deploy/values.generated.yaml").read_text()
    assert CUBE_SECRET not in generated and "secretName: cube-api-secret" in generated


def test_missing_helm_is_exit_2_with_a_hint_before_anything_is_built(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "shop")
    done = floe_ci("deploy", cwd=root, env={"HELM_BIN": str(tmp_path / "no-helm")})
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "the helm binary was not found" in done.stderr
    assert "hint:" in done.stderr and "HELM_BIN" in done.stderr
    assert not (root / "target" / "shop.duckdb").exists()


def test_unknown_environment_is_exit_2(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "shop")
    done = floe_ci("deploy", "--dry-run", "--env", "prodution", cwd=root)
    assert done.returncode == 2
    assert "unknown environment `prodution`" in done.stderr
    assert "production" in done.stderr and "staging" in done.stderr


def test_the_action_runs_deploy_with_kubeconfig_data(tmp_path: Path) -> None:
    """`uses: floe/action@v1` with `command: deploy`, as the README's workflow passes it."""
    root = copy_example(tmp_path / "shop")
    done = floe_ci(
        "action",
        cwd=tmp_path,
        env={
            "GITHUB_WORKSPACE": str(tmp_path),
            "INPUT_COMMAND": "deploy",
            "INPUT_WORKING-DIRECTORY": "shop",
            "KUBECONFIG_DATA": base64.b64encode(UNREACHABLE_KUBECONFIG.encode()).decode(),
            "KUBECONFIG": "",
        },
    )
    assert done.returncode == 1, done.stdout + done.stderr
    visible = "\n".join(
        line for line in done.stdout.splitlines() if not line.startswith("::add-mask::")
    )
    assert "✓ dbt build" in visible and "✗ helm upgrade --install" in visible
    assert "127.0.0.1:1" in visible
    assert "kube-token-value" not in visible + done.stderr
    assert (root / ".floe/cube/model/orders.yml").is_file()


def test_help_explains_the_steps_with_examples(tmp_path: Path) -> None:
    done = floe_ci("deploy", "--help", cwd=tmp_path)
    assert done.returncode == 0
    for text in ("dbt build", "cube sync", "helm upgrade", "--dry-run", "--skip-dbt", "Examples"):
        assert text in done.stdout


def test_a_failing_dbt_model_stops_the_deploy_before_cube_and_helm(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "shop")
    orders = root / "models" / "marts" / "orders.sql"
    orders.write_text(orders.read_text().replace("o.amount,", "o.no_such_column,"))
    done = floe_ci("deploy", cwd=root, env={"KUBECONFIG": str(tmp_path / "none")})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "✗ dbt build" in done.stdout and "model orders:" in done.stdout
    assert "no_such_column" in done.stdout
    assert "cube sync" not in done.stdout and "helm" not in done.stdout
    assert "step `dbt build` failed" in done.stderr
    assert not (root / ".floe" / "cube").exists()


POSTGRES_COMPUTE = """compute:
  target: postgres
  connection_secret_ref: PGW
  properties:
    host: warehouse.internal
    port: 5432
    database: shop
    schema: main
"""


def _postgres_shop(dest: Path) -> Path:
    """The example on a PostgreSQL warehouse whose user and password come from $PGW_*."""
    root = copy_example(dest)
    spec = (root / "floe.yaml").read_text()
    start = spec.index("compute:")
    end = spec.index("transforms:")
    (root / "floe.yaml").write_text(spec[:start] + POSTGRES_COMPUTE + "\n" + spec[end:])
    return root


def _written_files(root: Path) -> dict[str, str]:
    """Every file the deploy wrote (dbt's parse output and log included)."""
    return {
        str(path.relative_to(root)): path.read_text(errors="replace")
        for path in sorted((root / ".floe").rglob("*"))
        if path.is_file()
    }


def _our_outputs(root: Path) -> dict[str, str]:
    """What floe-ci itself wrote, with the compile time taken out."""
    stamp = re.compile(r'"compiled_at": "[^"]*"')
    return {
        name: stamp.sub("compiled_at", text)
        for name, text in _written_files(root).items()
        # dbt's own output: its timings and invocation ids differ from run to run
        if not name.startswith((".floe/logs/", ".floe/deploy/target/", ".floe/cache/parse-target/"))
    }


def test_dry_run_with_common_words_as_secrets_succeeds_and_shows_neither(tmp_path: Path) -> None:
    """`floe` and `data` occur in every rendered manifest: masking them must not break parsing,
    and neither may be printed, while the files never receive a secret value at all."""
    # Both runs in the same folder (cube.js names its lineage file by absolute path).
    common = _postgres_shop(tmp_path / "run" / "shop")
    done = floe_ci(
        "deploy",
        "--dry-run",
        cwd=common,
        env={"PGW_USER": "floe", "PGW_PASSWORD": "pw-9931-x", "CUBE_API_SECRET": "data"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    shown = done.stdout + done.stderr
    assert "floe" not in shown and "data" not in shown and "pw-9931-x" not in shown
    assert "✓ helm template" in done.stdout and "***" in done.stdout
    # The files: the same run with distinctive values writes byte-identical files, none of
    # which holds those values, so no secret value ever reached a file.
    common_outputs = _our_outputs(common)
    shutil.rmtree(tmp_path / "run")
    distinct = _postgres_shop(tmp_path / "run" / "shop")
    values = {"PGW_USER": "u-4471-q", "PGW_PASSWORD": "p-5582-r", "CUBE_API_SECRET": "c-6693-s"}
    again = floe_ci("deploy", "--dry-run", cwd=distinct, env=values)
    assert again.returncode == 0, again.stdout + again.stderr
    files = _written_files(distinct)
    assert files and ".floe/deploy/rendered.yaml" in files
    for text in files.values():
        assert not any(value in text for value in values.values())
    assert common_outputs == _our_outputs(distinct)
    for doc in yaml.safe_load_all(files[".floe/deploy/rendered.yaml"]):
        if doc:
            kubernetes_validate.validate(doc, "1.33.0", strict=True)  # raises on a problem
