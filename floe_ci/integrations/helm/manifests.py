"""Check what `helm template` rendered: every document against Kubernetes' own schemas.

kubernetes-validate carries the OpenAPI schemas of Kubernetes 1.25 to 1.37 offline; it is a
development dependency, so the deploy reports "not validated" when it is not installed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from floe_ci.integrations.helm.client import KUBE_VERSION


@dataclass
class ManifestCheck:
    documents: list[dict[str, Any]]
    problems: list[str] = field(default_factory=list)
    validated: bool = True  # False: kubernetes-validate is not installed

    @property
    def ok(self) -> bool:
        return not self.problems

    def kinds(self) -> dict[str, int]:
        tally: dict[str, int] = {}
        for doc in self.documents:
            tally[str(doc.get("kind"))] = tally.get(str(doc.get("kind")), 0) + 1
        return dict(sorted(tally.items()))


def parse_manifests(rendered: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(rendered) if isinstance(doc, dict)]


def check_manifests(rendered: str, kube_version: str = KUBE_VERSION) -> ManifestCheck:
    documents = parse_manifests(rendered)
    try:
        import kubernetes_validate  # type: ignore[import-untyped]
    except ImportError:
        return ManifestCheck(documents, validated=False)
    problems = []
    for doc in documents:
        label = f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
        try:
            kubernetes_validate.validate(doc, kube_version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = "/".join(str(p) for p in exc.path)
            problems.append(f"{label}: {exc.message}" + (f" (at {path})" if path else ""))
        except kubernetes_validate.SchemaNotFoundError as exc:
            problems.append(f"{label}: no Kubernetes {kube_version} schema: {exc}")
    return ManifestCheck(documents, problems)
