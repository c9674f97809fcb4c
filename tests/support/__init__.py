"""Offline deploy-proof tooling for the test suite.

Each module checks one thing a deployment would otherwise discover late: custom resources against their upstream
CRD (``schemas``), strategic merge patches against the real ``kubectl`` (``kubectl``, ``aws_node``), core objects
against the Kubernetes OpenAPI schema (``k8s_schema``) and CloudFormation templates against cfn-lint (``cfn_lint``).
Nothing here touches a network or a cluster.
"""

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "upstream"
"""Byte-for-byte upstream files (see ``SOURCES.md`` there)."""

REPO_ROOT = Path(__file__).resolve().parents[2]
