"""The floe.yaml schema: pydantic models, one per block of the file.

Every model forbids unknown keys so that a typo is an error with a suggestion, never a
setting that is silently ignored.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from floe_ci.spec.cron import cron_problem
from floe_ci.spec.cube_refresh import cube_interval, cube_refresh_problem

_SECRET_REF = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")
_NAME = re.compile(r"^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$")


def _check_cron(value: str) -> str:
    problem = cron_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _check_cube_refresh(value: str) -> str:
    # An interval (`30 minute`) is Cube's own form; a cron must also be one Cube accepts.
    if cube_interval(value) is not None:
        return value
    problem = cron_problem(value) or cube_refresh_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(
            f"unknown time zone `{value}`; use an IANA name such as Europe/Berlin"
        ) from None
    return value


def _check_secret_ref(value: str | None) -> str | None:
    if value is not None and not _SECRET_REF.match(value):
        raise ValueError(
            "a secret reference is the NAME of a secret or environment variable "
            "(letters, digits, `_`, `-`, `.`, `/`), never the secret itself"
        )
    return value


Cron = Annotated[str, AfterValidator(_check_cron), Field(examples=["0 6 * * *"])]
CubeRefreshSchedule = Annotated[
    str,
    AfterValidator(_check_cube_refresh),
    Field(
        description="When Cube rebuilds pre-aggregations: a cron firing at equal intervals "
        "(`*/30 * * * *`, `0 6 * * *`) or an interval (`30 minute`).",
        examples=["*/30 * * * *", "0 6 * * *", "1 hour"],
    ),
]
TimeZone = Annotated[str, AfterValidator(_check_timezone)]
SecretRef = Annotated[
    str | None,
    AfterValidator(_check_secret_ref),
    Field(description="Name of a secret / environment variable holding the value."),
]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False, validate_default=True)


# --- compute -----------------------------------------------------------------------------


class ComputeTarget(StrEnum):
    """Supported compute targets (each maps to a dbt adapter)."""

    DUCKDB = "duckdb"
    SNOWFLAKE = "snowflake"
    BIGQUERY = "bigquery"
    POSTGRES = "postgres"
    REDSHIFT = "redshift"
    DATABRICKS = "databricks"
    SPARK = "spark"


class ComputeConfig(StrictModel):
    """Where the transforms run."""

    target: ComputeTarget = Field(description="Compute engine; selects the dbt adapter.")
    connection_secret_ref: SecretRef = None
    properties: dict[str, Any] = Field(
        default_factory=dict,
        description="Adapter settings (path, host, database, schema, threads...). "
        "Never credentials: name them with connection_secret_ref.",
    )


# --- transforms --------------------------------------------------------------------------


class TransformConfig(StrictModel):
    """A dbt project that belongs to the pipeline."""

    type: Literal["dbt"] = Field(description="Transform kind; only dbt is supported.")
    path: str = Field(description="dbt project folder, relative to floe.yaml.")
    target: str | None = Field(default=None, description="dbt target name to use.")


# --- consumption -------------------------------------------------------------------------


class CubeSecurityConfig(StrictModel):
    """Cube row-level security."""

    row_level: bool = True
    tenant_column: str = "tenant_id"


DEFAULT_CUBE_VERSION = "1.7"
_CUBE_VERSION = re.compile(r"^(0\.(3[3-9])|[1-9][0-9]*\.[0-9]+)(\.[0-9]+)?$")


def _cube_version_text(value: Any) -> Any:
    # `version: 0.33` unquoted is a YAML float; its text is what the user wrote.
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _check_cube_version(value: str) -> str:
    if not _CUBE_VERSION.match(value):
        raise ValueError(
            f"Cube version `{value}` is not supported: use a version from 0.33 on, e.g. "
            f"`{DEFAULT_CUBE_VERSION}` or `0.33`"
        )
    return value


CubeVersion = Annotated[
    str, BeforeValidator(_cube_version_text), AfterValidator(_check_cube_version)
]


class PreAggregationConfig(StrictModel):
    """Cube pre-aggregation refresh."""

    refresh_schedule: CubeRefreshSchedule = "*/30 * * * *"
    timezone: TimeZone = "UTC"


class CubeConfig(StrictModel):
    """Cube semantic layer."""

    version: CubeVersion = Field(
        default=DEFAULT_CUBE_VERSION,
        description="The Cube version that serves the models: 1.x gets `access_policy` and "
        "cube-level `meta`; 0.33 to 0.36 a rendering that version accepts (row-level "
        "security and restricted members enforced in `queryRewrite`).",
    )
    port: int = Field(default=4000, ge=1, le=65535)
    api_secret_ref: SecretRef = None
    pre_aggregations: PreAggregationConfig = Field(default_factory=PreAggregationConfig)
    security: CubeSecurityConfig = Field(default_factory=CubeSecurityConfig)
    models: list[str] = Field(
        default_factory=list,
        description="dbt model names or `tag:NAME` selectors exposed as cubes (empty: all marts).",
    )


class ConsumptionConfig(StrictModel):
    """Consumption layer (semantic layer and APIs)."""

    enabled: bool = False
    cube: CubeConfig | None = None


# --- governance --------------------------------------------------------------------------


class ClassificationSource(StrEnum):
    """Where classification metadata is read from."""

    DBT_META = "dbt_meta"
    EXTERNAL = "external"


class PolicyAction(StrEnum):
    """What happens to a classified column in an environment."""

    RESTRICT = "restrict"
    SYNTHESIZE = "synthesize"
    REDACT = "redact"
    MASK = "mask"
    HASH = "hash"


class EnvironmentPolicy(StrictModel):
    """The action for one environment category."""

    action: PolicyAction
    requires_role: list[str] = Field(
        default_factory=list, description="Roles that may read the raw value (for restrict)."
    )


class ClassificationPolicy(StrictModel):
    """Policy for one classification (the `classification` value in dbt column meta)."""

    production: EnvironmentPolicy | None = None
    non_production: EnvironmentPolicy | None = None


def _check_patterns(value: dict[str, str]) -> dict[str, str]:
    for key, pattern in value.items():
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"`{key}`: not a valid regular expression ({exc})") from None
    return value


Patterns = Annotated[dict[str, str], AfterValidator(_check_patterns)]


class PiiDetectionConfig(StrictModel):
    """Which unclassified columns look like personal data (`floe-ci check` rule FLOE201)."""

    enabled: bool = True
    use_default_patterns: bool = Field(
        default=True, description="Keep the built-in patterns (email, phone, ssn, names...)."
    )
    name_patterns: Patterns = Field(
        default_factory=dict,
        description="pii_type -> regular expression searched (case-insensitive) in column "
        "names; added to the defaults, replacing a default of the same pii_type.",
    )
    type_patterns: Patterns = Field(
        default_factory=dict,
        description="pii_type -> regular expression matched against declared data types.",
    )
    ignore: list[str] = Field(
        default_factory=list,
        description="`model.column` glob patterns never reported, e.g. `dim_products.name`.",
    )


Approver = Annotated[
    str,
    Field(
        pattern=r"^@?[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9][A-Za-z0-9._-]*)?$",
        examples=["alice", "@acme/data-owners"],
    ),
]


class GovernanceConfig(StrictModel):
    """Data governance: what each classification means in each environment."""

    classification_source: ClassificationSource = ClassificationSource.DBT_META
    policies: dict[str, ClassificationPolicy] = Field(default_factory=dict)
    emit_classification_lineage: bool = True
    pii_detection: PiiDetectionConfig = Field(default_factory=PiiDetectionConfig)
    derived_indicator_severity: Literal["info", "warning", "error"] = Field(
        default="info",
        description="Severity of FLOE301 for an unclassified column that is only a derived "
        "indicator of classified data (a null check, a boolean test, a count, a sum of flags, "
        "a yes/no category): it reveals a fact about the value, not the value.",
    )
    approvers: list[Approver] = Field(
        default_factory=list,
        description="GitHub users (`alice`) and teams (`@org/team`) whose approving review "
        "of the pull request accepts a declassification (FLOE501), a weaker policy (FLOE503) "
        "or a new waiver; until one approves, they fail as `needs approval`. Read from the "
        "pull request's base revision. Empty: no approval is asked for.",
    )


# --- observability -----------------------------------------------------------------------


class ObservabilityConfig(StrictModel):
    """Tracing, metrics and lineage."""

    traces: bool = True
    metrics: bool = True
    lineage: bool = True
    otlp_endpoint: str | None = None
    lineage_endpoint: str | None = None
    lineage_transport: Literal["http", "file", "console"] | None = Field(
        default=None,
        description="How OpenLineage events leave: http (to lineage_endpoint), file or console. "
        "Default: http when lineage_endpoint is set, otherwise none.",
    )
    lineage_file: str | None = Field(
        default=None, description="File for the `file` transport, relative to floe.yaml."
    )
    lineage_namespace: str | None = None


# --- orchestration -----------------------------------------------------------------------


class ScheduleConfig(StrictModel):
    """Run part of the pipeline on a cron schedule."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    cron: Cron
    select: str = Field(default="*", description="dbt selection, e.g. `tag:daily+`.")
    exclude: str | None = None
    timezone: TimeZone = "UTC"
    enabled: bool = True


class FileSensorConfig(StrictModel):
    """Start a run when a file appears or changes."""

    type: Literal["file"]
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    path: str
    select: str = "*"
    minimum_interval_seconds: int = Field(default=30, ge=5)


class AssetSensorConfig(StrictModel):
    """Start a run when an upstream asset is materialized."""

    type: Literal["asset"]
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    asset: str = Field(description="Asset key, `/`-separated (e.g. `raw/orders`).")
    select: str = "*"
    minimum_interval_seconds: int = Field(default=30, ge=5)


SensorConfig = Annotated[FileSensorConfig | AssetSensorConfig, Field(discriminator="type")]


class OrchestrationConfig(StrictModel):
    """Schedules and sensors for the Dagster deployment."""

    schedules: list[ScheduleConfig] = Field(default_factory=list)
    sensors: list[SensorConfig] = Field(default_factory=list)

    @field_validator("schedules", "sensors")
    @classmethod
    def _unique_names(cls, items: list[Any]) -> list[Any]:
        names = [item.name for item in items]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"names must be unique; repeated: {', '.join(duplicates)}")
        return items


# --- deploy ------------------------------------------------------------------------------


class DeployEnvironment(StrictModel):
    """One place the pipeline deploys to."""

    governance: Literal["production", "non_production"] = Field(
        description="Which governance policies apply here."
    )
    namespace: str | None = Field(default=None, description="Kubernetes namespace override.")
    kube_context: str | None = None
    values: dict[str, Any] = Field(default_factory=dict, description="Helm values override.")


class DeployConfig(StrictModel):
    """How the pipeline is rolled out with Helm on merge."""

    release_name: str | None = Field(
        default=None, description="Helm release name (default: the pipeline name)."
    )
    chart: str = Field(default="charts/floe-pipeline", description="Chart path, relative.")
    namespace: str = "default"
    timeout: str = Field(default="5m", pattern=r"^\d+[smh]$")
    atomic: bool = Field(
        default=True,
        description="Roll the release back when the upgrade fails (`--rollback-on-failure` on "
        "Helm 4, `--atomic` on Helm 3).",
    )
    require_reviewed_plan: bool = Field(
        default=True,
        description="At merge, deploy only the plan reviewed on the pull request (same "
        "fingerprint); false: deploy a different plan with a warning.",
    )
    values: dict[str, Any] = Field(default_factory=dict)
    environments: dict[str, DeployEnvironment] = Field(default_factory=dict)


# --- catalog -----------------------------------------------------------------------------


class CatalogType(StrEnum):
    """Iceberg catalog kinds: a local SQLite catalog, or an Iceberg REST catalog server."""

    SQLITE = "sqlite"
    REST = "rest"
    POLARIS = "polaris"


class CatalogConfig(StrictModel):
    """The Iceberg catalog that holds the pipeline's tables."""

    type: CatalogType = Field(
        description="sqlite: a local catalog file (development); rest or polaris: an Iceberg "
        "REST catalog server (Apache Polaris or any other)."
    )
    uri: str = Field(
        description="sqlite: the catalog database file, relative to floe.yaml (or a "
        "`sqlite:///` URL); rest/polaris: the server's base URL, e.g. http://polaris:8181/api/catalog."
    )
    warehouse: str | None = Field(
        default=None,
        description="sqlite: folder for table data, relative to floe.yaml (default: `warehouse` "
        "beside the catalog file); rest/polaris: the warehouse (Polaris catalog) name.",
    )
    prefix: str | None = Field(
        default=None,
        description="REST path prefix, for servers whose /v1/config does not provide one.",
    )
    namespace: str = Field(
        default="default", description="Namespace of the pipeline's tables (dots for nesting)."
    )
    credential_secret_ref: SecretRef = None

    @model_validator(mode="after")
    def _remote_uri_is_http(self) -> CatalogConfig:
        if self.type != CatalogType.SQLITE and not self.uri.startswith(("http://", "https://")):
            raise ValueError(
                f"`uri` of a {self.type.value} catalog must be an http:// or https:// URL"
            )
        return self


# --- root --------------------------------------------------------------------------------


class FloeSpec(StrictModel):
    """Root of floe.yaml."""

    name: str = Field(
        description="Pipeline name: lower case letters, digits, `-` and `_` (max 63).",
        examples=["shop"],
    )
    version: str = Field(default="1.0", description="floe.yaml schema version.")
    compute: ComputeConfig
    transforms: list[TransformConfig] = Field(default_factory=list)
    consumption: ConsumptionConfig = Field(default_factory=ConsumptionConfig)
    governance: GovernanceConfig = Field(default_factory=GovernanceConfig)
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)
    orchestration: OrchestrationConfig = Field(default_factory=OrchestrationConfig)
    deploy: DeployConfig = Field(default_factory=DeployConfig)
    catalog: CatalogConfig | None = Field(
        default=None, description="Iceberg catalog for the pipeline's tables (optional)."
    )

    @field_validator("name")
    @classmethod
    def _name_is_release_safe(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                "use lower case letters, digits, `-` and `_`, starting and ending with a letter "
                "or digit (at most 63): it names the Helm release and Dagster code location"
            )
        return value

    @field_validator("version")
    @classmethod
    def _supported_version(cls, value: str) -> str:
        if value.split(".")[0] != "1":
            raise ValueError(f"schema version {value} is not supported; this floe-ci reads 1.x")
        return value
