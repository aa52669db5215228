"""The architecture diagram: regenerated from the session's synth, it must equal the committed file."""

from __future__ import annotations

import itertools
import json
import re
import shutil
from pathlib import Path

import pytest

from ops import diagram
from ops.assembly import Stack, Stage, load, resolve

pytestmark = pytest.mark.synth

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMITTED = REPO_ROOT / "docs" / "architecture.md"


@pytest.fixture(scope="module")
def assembly(synthesized):
    return load(synthesized.outdir)


def test_committed_diagram_matches_a_fresh_synth(assembly) -> None:
    expected = diagram.markdown(assembly)
    committed = COMMITTED.read_text() if COMMITTED.is_file() else ""
    assert committed == expected, (
        "docs/architecture.md no longer matches the synthesized app: run `make synth && make diagram`, "
        "review the diff (a new arrow is a widened security group) and commit it"
    )


def test_output_is_deterministic_and_carries_no_timestamp(assembly) -> None:
    first, second = diagram.markdown(assembly), diagram.markdown(load(assembly.outdir))
    assert first == second
    assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", first)
    stage = assembly.stage("prod")
    assert diagram.dot(diagram.environment_graph(stage)) == diagram.dot(diagram.environment_graph(stage))


def test_lean_edges_are_internet_to_alb_to_tasks_to_database_only(assembly) -> None:
    graph = diagram.environment_graph(assembly.stage("dev"))
    edges = {
        (graph.label_of(e.source).split("<br/>")[0], graph.label_of(e.target).split("<br/>")[0], e.label, e.dashed)
        for e in graph.edges
    }
    service = next(label for _, label, _, _ in edges if label.startswith("ECS Fargate service"))
    assert edges == {
        ("Internet", "ALB (internet-facing)", "tcp 80", False),
        ("ALB (internet-facing)", service, "tcp 8080", False),
        (service, "RDS postgres 17.9", "tcp 5432", False),
        (service, "Internet", "tcp 443", True),
    }
    # Lean tasks sit in the public tier, the database in the isolated tier.
    tiers = {g.id: g for g in diagram._walk(graph.groups)}
    assert any(n.startswith("dev_WebService") for n in tiers["dev_tier_Public"].nodes)
    assert any(n.startswith("dev_DatabaseInstance") for n in tiers["dev_tier_Data"].nodes)


def test_enterprise_shows_private_tasks_nat_per_az_endpoints_and_waf(assembly) -> None:
    graph = diagram.environment_graph(assembly.stage("prod"))
    tiers = {g.id: g for g in diagram._walk(graph.groups)}
    assert any(n.startswith("prod_WebService") for n in tiers["prod_tier_Application"].nodes)
    assert graph.nodes["prod_nat"].label == "NAT gateway x3"
    assert "secretsmanager" in graph.nodes["prod_endpoints"].label
    assert diagram.Edge("prod_vpc", "prod_endpoints", "tcp 443") in graph.edges
    assert any(e.source == "internet" and "WebAcl" in e.target for e in graph.edges)


def test_delivery_path_runs_in_promotion_order_to_each_environment(assembly) -> None:
    graph = diagram.delivery_graph(assembly)
    assert graph is not None
    order = ["Dev", "Qa", "Staging", "Uat", "Prod"]
    for before, after in itertools.pairwise(order):
        assert diagram.Edge(f"pipeline_{before}", f"pipeline_{after}", "") in graph.edges
    for name in order:
        assert diagram.Edge(f"pipeline_{name}", f"env_{name.lower()}", "deploys", dashed=True) in graph.edges
    assert "manual approval" in graph.nodes["pipeline_Prod"].label
    assert "manual approval" not in graph.nodes["pipeline_Dev"].label


def test_import_value_and_stack_output_references_resolve_to_the_producer() -> None:
    producer = Stack(
        name="X-Data",
        stack_id="Data",
        template={
            "Resources": {"Db": {"Type": "AWS::EC2::SecurityGroup"}},
            "Outputs": {
                "Exported": {"Value": {"Fn::GetAtt": ["Db", "GroupId"]}, "Export": {"Name": "x-db-sg"}},
                "Published": {"Value": {"Ref": "Db"}},
            },
        },
    )
    consumer = Stack(name="X-Service", stack_id="Service", template={"Resources": {}})
    stage = Stage("X", {"Data": producer, "Service": consumer})
    for reference in (
        {"Fn::ImportValue": "x-db-sg"},
        {"Fn::GetStackOutput": {"StackName": "X-Data", "OutputName": "Published"}},
    ):
        found = stage.resolve(reference, consumer)
        assert found is not None
        assert found.key == ("X-Data", "Db")
    assert resolve({"Fn::ImportValue": "nothing"}, consumer, [producer, consumer]) is None


def test_check_fails_with_the_command_to_run(assembly, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "architecture.md"
    stale.write_text("# Architecture\n")
    assert diagram.main(["--cdk-out", str(assembly.outdir), "--output", str(stale), "--check"]) == 1
    assert "run `make diagram`" in capsys.readouterr().err


def test_a_partial_synth_is_refused(assembly, tmp_path: Path) -> None:
    # Given an assembly with only one environment, as `make synth ENV=dev` leaves it
    partial = tmp_path / "cdk.out"
    shutil.copytree(assembly.outdir, partial)
    manifest = json.loads((partial / "manifest.json").read_text())
    for artifact_id in [a for a in manifest["artifacts"] if a.startswith("assembly-") and a != "assembly-Dev"]:
        del manifest["artifacts"][artifact_id]
    (partial / "manifest.json").write_text(json.dumps(manifest))
    output = tmp_path / "architecture.md"
    # Then no diagram is written over the committed one
    assert diagram.main(["--cdk-out", str(partial), "--output", str(output)]) == 2
    assert not output.exists()
