"""The charts through the real helm binary (v4, from .ci/tools/helm.sh): `helm lint --strict`
on floe-dagster, floe-cube and the floe-pipeline umbrella, `helm template` of the umbrella
with the example's generated values validated against Kubernetes 1.29's and 1.33's schemas
for every document, and `helm upgrade --install` up to the missing cluster (no API server
exists here)."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from floe_ci.app.compile import artifacts_json, compile_pipeline
from floe_ci.errors import FloeUsageError
from floe_ci.integrations.cube.sync import CUBE_JS, sync_cube
from floe_ci.integrations.helm.binary import find_helm, require_helm
from floe_ci.integrations.helm.client import HelmChartCall, HelmClient
from floe_ci.integrations.helm.kubeconfig import decode_kubeconfig, kubeconfig_env
from floe_ci.integrations.helm.manifests import check_manifests, parse_manifests
from floe_ci.integrations.helm.staging import stage_chart
from floe_ci.integrations.helm.values import (
    generated_values,
    release_settings,
    resolve_chart,
    user_values,
)
from tests.conftest import REPO_ROOT, copy_example

pytestmark = pytest.mark.integration

CHART = REPO_ROOT / "charts" / "floe-pipeline"
KUBE_VERSIONS = ("1.29.0", "1.33.0")
UNREACHABLE_KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
  - name: nowhere
    cluster: {server: "https://127.0.0.1:1"}
contexts:
  - name: nowhere
    context: {cluster: nowhere, user: ci}
current-context: nowhere
users:
  - name: ci
    user: {token: not-a-real-token-1234}
"""


@pytest.fixture(scope="module")
def helm() -> Path:
    found = find_helm()
    assert found is not None, "helm is needed: run `bash .ci/tools/helm.sh`"
    return found


@pytest.fixture(scope="module")
def call(tmp_path_factory: pytest.TempPathFactory) -> HelmChartCall:
    """The example's release, with the values `floe-ci deploy` generates."""
    return _release_call(copy_example(tmp_path_factory.mktemp("helm") / "shop"))


def _release_call(root: Path) -> HelmChartCall:
    artifacts = compile_pipeline(root / "floe.yaml")
    cube = sync_cube(artifacts, root, validate=False)
    generated = generated_values(
        artifacts,
        artifacts_json=artifacts_json(artifacts),
        manifest_checksum="sha256:" + "0" * 64,
        cube_config=(cube.output_dir / CUBE_JS).read_text(),
        cube_models=cube.files(),
    )
    generated_file = root / "generated.yaml"
    generated_file.write_text(yaml.safe_dump(generated))
    user_file = root / "user.yaml"
    user_file.write_text(yaml.safe_dump(user_values(artifacts, "production")))
    release = release_settings(artifacts, "production")
    chart = resolve_chart(artifacts.deploy.chart, root)
    assert chart == CHART
    staged = stage_chart(chart, root / "staged")
    return HelmChartCall(staged, release, (generated_file, user_file))


@pytest.fixture(scope="module")
def rendered(helm: Path, call: HelmChartCall) -> list[dict[str, Any]]:
    result = HelmClient(helm, os.environ).template(call)
    assert result.ok, result.error()
    return parse_manifests(result.stdout)


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_umbrella_chart_passes_helm_lint_strict(helm: Path, call: HelmChartCall) -> None:
    assert sorted(p.name for p in (call.chart / "charts").iterdir()) == [
        "floe-cube",
        "floe-dagster",
    ]
    result = HelmClient(helm, os.environ).lint(call)
    assert result.ok, result.error()
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("name,alias", [("floe-dagster", "dagster"), ("floe-cube", "cube")])
def test_each_component_chart_passes_helm_lint_strict_on_its_own(
    helm: Path, call: HelmChartCall, tmp_path: Path, name: str, alias: str
) -> None:
    """Each chart installs alone with its part of the generated values."""
    merged: dict[str, Any] = {}
    for path in call.values_files:
        merged.update((yaml.safe_load(path.read_text()) or {}).get(alias, {}))
    generated = yaml.safe_load(call.values_files[0].read_text())
    own = tmp_path / f"{alias}.yaml"
    own.write_text(yaml.safe_dump({**merged, "global": generated["global"]}))
    result = HelmClient(helm, os.environ).lint(
        HelmChartCall(REPO_ROOT / "charts" / name, call.release, (own,))
    )
    assert result.ok, result.error()
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
def test_every_rendered_document_is_valid_kubernetes(
    helm: Path, call: HelmChartCall, kube_version: str
) -> None:
    result = HelmClient(helm, os.environ).template(call, kube_version=kube_version)
    assert result.ok, result.error()
    docs = parse_manifests(result.stdout)
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "Service", "ConfigMap", "StatefulSet", "ServiceAccount"} <= kinds
    for doc in docs:
        kubernetes_validate.validate(doc, kube_version, strict=True)  # raises on any problem
    assert check_manifests(result.stdout, kube_version).ok


def test_manifest_check_reports_an_invalid_document() -> None:
    bad = "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {portz: []}\n"
    checked = check_manifests(bad)
    assert not checked.ok and "Service/x" in checked.problems[0]


def test_dagster_and_cube_components(rendered: list[dict[str, Any]]) -> None:
    deployments = by_kind(rendered, "Deployment")
    assert set(deployments) == {
        "shop-dagster-webserver",
        "shop-dagster-daemon",
        "shop-dagster-user-code",
        "shop-cube-api",
        "shop-cube-refresh",
        "shop-cubestore-router",
    }
    user_code = deployments["shop-dagster-user-code"]
    assert user_code["spec"]["replicas"] == 2  # deploy.environments.production.values
    server = user_code["spec"]["template"]["spec"]["containers"][0]
    assert server["command"] == ["dagster", "code-server", "start"]
    assert server["args"][:2] == ["--module-name", "floe_ci.app.definitions"]
    assert {"name": "FLOE_ARTIFACTS_PATH", "value": "/etc/floe/artifacts.json"} in server["env"]
    web = deployments["shop-dagster-webserver"]["spec"]["template"]["spec"]["containers"][0]
    assert web["command"] == ["dagster-webserver"] and "/server_info" in str(web["readinessProbe"])
    daemon = deployments["shop-dagster-daemon"]["spec"]
    assert daemon["replicas"] == 1 and daemon["strategy"]["type"] == "Recreate"
    assert daemon["template"]["spec"]["containers"][0]["command"] == ["dagster-daemon", "run"]
    # The instance's database by an existing Secret, in every Dagster component.
    for name in ("shop-dagster-webserver", "shop-dagster-daemon", "shop-dagster-user-code"):
        env = deployments[name]["spec"]["template"]["spec"]["containers"][0]["env"]
        password = next(e for e in env if e["name"] == "DAGSTER_PG_PASSWORD")
        assert password["valueFrom"]["secretKeyRef"] == {
            "name": "dagster-postgresql",
            "key": "password",
        }
    instance = by_kind(rendered, "ConfigMap")["shop-dagster-instance"]["data"]
    assert yaml.safe_load(instance["dagster.yaml"])["storage"]["postgres"]["postgres_db"][
        "password"
    ] == {"env": "DAGSTER_PG_PASSWORD"}
    workspace = yaml.safe_load(instance["workspace.yaml"])["load_from"][0]["grpc_server"]
    assert workspace == {"host": "shop-dagster-user-code", "port": 3030, "location_name": "shop"}
    assert deployments["shop-cube-api"]["spec"]["replicas"] == 2
    refresh_env = deployments["shop-cube-refresh"]["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "CUBEJS_REFRESH_WORKER", "value": "true"} in refresh_env["env"]
    workers = by_kind(rendered, "StatefulSet")["shop-cubestore-workers"]["spec"]
    assert workers["replicas"] == 2
    # A volume per worker (its local cache), besides the remote folder they share.
    assert [t["metadata"]["name"] for t in workers["volumeClaimTemplates"]] == ["data"]
    assert workers["volumeClaimTemplates"][0]["spec"]["accessModes"] == ["ReadWriteOnce"]
    services = by_kind(rendered, "Service")
    assert services["shop-cube-api"]["spec"]["ports"][0]["port"] == 4000
    assert services["shop-cubestore-workers"]["spec"]["clusterIP"] == "None"


def test_cube_gets_the_duckdb_path_of_the_project_in_the_image(
    rendered: list[dict[str, Any]],
) -> None:
    api = by_kind(rendered, "Deployment")["shop-cube-api"]["spec"]["template"]["spec"]
    env = {e["name"]: e for e in api["containers"][0]["env"]}
    assert env["CUBEJS_DB_TYPE"]["value"] == "duckdb"
    assert env["CUBEJS_DB_DUCKDB_DATABASE_PATH"]["value"] == "/app/target/shop.duckdb"


def test_cube_gets_the_postgres_warehouse_with_credentials_by_secret_ref(
    helm: Path, tmp_path: Path
) -> None:
    root = copy_example(tmp_path / "shop")
    spec = (root / "floe.yaml").read_text()
    postgres = (
        "compute:\n  target: postgres\n  connection_secret_ref: PGW\n  properties:\n"
        "    host: warehouse.internal\n    port: 6543\n    database: shop\n    schema: main\n\n"
    )
    start, end = spec.index("compute:"), spec.index("transforms:")
    (root / "floe.yaml").write_text(spec[:start] + postgres + spec[end:])
    call = _release_call(root)
    done = HelmClient(helm, os.environ).template(call)
    assert done.ok, done.error()
    docs = parse_manifests(done.stdout)
    for doc in docs:
        kubernetes_validate.validate(doc, "1.33.0", strict=True)
    for name in ("shop-cube-api", "shop-cube-refresh"):
        pod = by_kind(docs, "Deployment")[name]["spec"]["template"]["spec"]
        env = {e["name"]: e for e in pod["containers"][0]["env"]}
        assert env["CUBEJS_DB_TYPE"]["value"] == "postgres"
        assert env["CUBEJS_DB_HOST"]["value"] == "warehouse.internal"
        assert env["CUBEJS_DB_PORT"]["value"] == "6543"
        assert env["CUBEJS_DB_NAME"]["value"] == "shop"
        assert env["CUBEJS_DB_USER"]["valueFrom"]["secretKeyRef"] == {
            "name": "pgw",
            "key": "PGW_USER",
        }
        assert env["CUBEJS_DB_PASS"]["valueFrom"]["secretKeyRef"] == {
            "name": "pgw",
            "key": "PGW_PASSWORD",
        }
        assert all("value" not in env[k] for k in ("CUBEJS_DB_USER", "CUBEJS_DB_PASS"))
    user_code = by_kind(docs, "Deployment")["shop-dagster-user-code"]["spec"]["template"]["spec"]
    env = {e["name"]: e for e in user_code["containers"][0]["env"]}
    assert env["PGW_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "pgw",
        "key": "PGW_PASSWORD",
    }


def test_generated_models_and_artifacts_are_mounted_from_configmaps(
    rendered: list[dict[str, Any]], call: HelmChartCall
) -> None:
    maps = by_kind(rendered, "ConfigMap")
    models = maps["shop-cube-model"]["data"]
    assert set(models) == {"customers.yml", "orders.yml"}
    assert yaml.safe_load(models["orders.yml"])["cubes"][0]["name"] == "orders"
    assert "queryRewrite" in maps["shop-cube-config"]["data"]["cube.js"]
    artifacts = maps["shop-artifacts"]["data"]["artifacts.json"]
    assert '"pipeline_name": "shop"' in artifacts
    annotations = maps["shop-artifacts"]["metadata"]["annotations"]
    assert annotations["floe.dev/source-hash"].startswith("sha256:")
    assert annotations["floe.dev/manifest-checksum"] == "sha256:" + "0" * 64
    api = by_kind(rendered, "Deployment")["shop-cube-api"]["spec"]["template"]["spec"]
    mounts = {m["mountPath"] for m in api["containers"][0]["volumeMounts"]}
    assert mounts == {"/cube/conf/cube.js", "/cube/conf/model"}


def test_pods_run_as_non_root_with_resources_and_secrets_only_by_reference(
    rendered: list[dict[str, Any]],
) -> None:
    workloads = [d for d in rendered if d["kind"] in ("Deployment", "StatefulSet")]
    assert len(workloads) == 7
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in pod["containers"]:
            assert container["readinessProbe"] and container["livenessProbe"]
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
            assert container["resources"]["requests"] and container["resources"]["limits"]
    api = by_kind(rendered, "Deployment")["shop-cube-api"]["spec"]["template"]["spec"]
    secret = next(e for e in api["containers"][0]["env"] if e["name"] == "CUBEJS_API_SECRET")
    assert secret == {
        "name": "CUBEJS_API_SECRET",
        "valueFrom": {"secretKeyRef": {"name": "cube-api-secret", "key": "CUBE_API_SECRET"}},
    }


def test_values_schema_rejects_a_misspelt_key(
    helm: Path, call: HelmChartCall, tmp_path: Path
) -> None:
    typo = tmp_path / "typo.yaml"
    typo.write_text("dagster:\n  userCode:\n    replicaz: 3\n")
    result = HelmClient(helm, os.environ).lint(
        HelmChartCall(call.chart, call.release, (*call.values_files, typo))
    )
    assert not result.ok
    assert "replicaz" in result.error()


def test_template_without_generated_models_fails_with_the_charts_message(
    helm: Path, call: HelmChartCall
) -> None:
    bare = HelmChartCall(call.chart, call.release, ())
    result = HelmClient(helm, os.environ).template(bare)
    assert not result.ok
    assert "floe-ci deploy" in result.error()


def test_upgrade_stops_at_the_unreachable_cluster_and_removes_the_kubeconfig(
    helm: Path, call: HelmChartCall, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # honour TMPDIR for this test
    env = {
        **os.environ,
        "KUBECONFIG_DATA": base64.b64encode(UNREACHABLE_KUBECONFIG.encode()).decode(),
    }
    client = HelmClient(helm, env, secrets=["not-a-real-token-1234"])
    result = client.upgrade(call)
    assert not result.ok
    message = result.error()
    assert "127.0.0.1:1" in message or "unreachable" in message
    assert "not-a-real-token" not in result.error()
    assert "--atomic" in result.command and "--create-namespace" in result.command
    assert result.command[result.command.index("--namespace") + 1] == "data-prod"
    assert not list(tmp_path.glob("floe-kubeconfig-*"))


def test_kubeconfig_data_is_written_private_and_deleted(tmp_path: Path) -> None:
    with kubeconfig_env({"KUBECONFIG_DATA": UNREACHABLE_KUBECONFIG}) as env:
        path = Path(env["KUBECONFIG"])
        assert "KUBECONFIG_DATA" not in env
        assert path.stat().st_mode & 0o777 == 0o600
        assert "clusters" in path.read_text()
    assert not path.exists()
    assert decode_kubeconfig(base64.b64encode(b"clusters: []\n").decode()) == "clusters: []\n"
    with pytest.raises(FloeUsageError, match="neither a kubeconfig"):
        decode_kubeconfig("definitely not a kubeconfig")


def test_missing_helm_is_a_usage_error_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(FloeUsageError) as caught:
        require_helm({"HELM_BIN": str(tmp_path / "helm"), "PATH": ""})
    assert "HELM_BIN" in str(caught.value) and "helm.sh" in str(caught.value)


def test_chart_is_found_beside_the_project_then_among_floe_cis_charts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "repo" / "pipelines" / "shop"
    project.mkdir(parents=True)
    monkeypatch.delenv("FLOE_CHARTS_DIR", raising=False)
    assert resolve_chart("charts/floe-pipeline", project) == CHART  # floe-ci's own
    shipped = tmp_path / "image-charts" / "floe-pipeline"
    shipped.mkdir(parents=True)
    (shipped / "Chart.yaml").write_text("apiVersion: v2\nname: floe-pipeline\nversion: 0.1.0\n")
    monkeypatch.setenv("FLOE_CHARTS_DIR", str(shipped.parent))
    assert resolve_chart("charts/floe-pipeline", project) == shipped
    vendored = tmp_path / "repo" / "charts" / "floe-pipeline"
    vendored.mkdir(parents=True)
    (vendored / "Chart.yaml").write_text("apiVersion: v2\nname: floe-pipeline\nversion: 9.9.9\n")
    assert resolve_chart("charts/floe-pipeline", project) == vendored  # the repository's wins
    with pytest.raises(FloeUsageError, match="no Helm chart at `charts/nope`"):
        resolve_chart("charts/nope", project)
