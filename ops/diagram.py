"""The architecture diagram, drawn from the synthesized templates: `make diagram`.

Per environment: the VPC and its subnet tiers, the load balancer, the ECS service's tasks, the
database, NAT gateways and endpoints where the profile has them, and every security-group edge
(inline and standalone ingress, resolved across the environment's stacks to the resources that use
each group). Then the delivery path: the pipeline's stages in order, each to the environment it
deploys. Output is Mermaid in `docs/architecture.md` and, when graphviz `dot` is on PATH, DOT and SVG
per environment under `cdk.out/diagrams/` (a local artifact, not committed: dot's SVG differs by version).

Everything is sorted and every id comes from a logical id or a fixed name, so the same templates
always give the same bytes; tests/ops/test_diagram.py compares the committed file with a fresh synth.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.loader import ENVIRONMENT_NAMES
from ops.assembly import AssemblyError, CloudAssembly, Stack, Stage, load, tag

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "docs" / "architecture.md"
ANYWHERE = {"0.0.0.0/0", "::/0"}
# CDK's placeholder egress rule for "no egress at all": it matches nothing and is no edge.
NO_EGRESS_PLACEHOLDER = "255.255.255.255/32"
INTERNET = "internet"


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    # box, round (a managed service), cylinder (a database), circle (the outside world)
    shape: str = "box"


@dataclass
class Group:
    id: str
    label: str
    nodes: list[str] = field(default_factory=list)
    children: list[Group] = field(default_factory=list)


@dataclass(frozen=True, order=True)
class Edge:
    source: str
    target: str
    label: str
    dashed: bool = False


@dataclass
class Graph:
    title: str
    nodes: dict[str, Node] = field(default_factory=dict)
    top: list[str] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    edges: set[Edge] = field(default_factory=set)
    # (source label, target label, ports, how): the table printed under the diagram.
    rules: set[tuple[str, str, str, str]] = field(default_factory=set)

    def label_of(self, node_id: str) -> str:
        if node_id in self.nodes:
            return self.nodes[node_id].label
        for group in _walk(self.groups):
            if group.id == node_id:
                return group.label
        return node_id


def _walk(groups: list[Group]) -> list[Group]:
    found: list[Group] = []
    for group in groups:
        found.append(group)
        found.extend(_walk(group.children))
    return found


# ---------------------------------------------------------------------------------------------
# Environment graph


def environment_graph(stage: Stage) -> Graph:
    builder = _EnvironmentBuilder(stage)
    for stack in _stacks_in_order(stage):
        for logical_id, resource in stack.resources.items():
            add = builder.handlers.get(str(resource.get("Type")))
            if add is not None:
                add(stack, f"{stage.environment}_{logical_id}", resource.get("Properties", {}))
    graph = builder.graph
    _security_group_edges(stage, graph, builder.users, builder.vpc_cidr)
    for group in _walk(graph.groups):
        group.nodes = sorted(set(group.nodes))
    graph.top = sorted(set(graph.top))
    return graph


class _EnvironmentBuilder:
    """The VPC, its subnet tiers, and a node per resource worth drawing, placed in its tier."""

    def __init__(self, stage: Stage) -> None:
        self.stage = stage
        self.env = stage.environment
        network = stage.stacks.get("Network")
        if network is None:
            raise AssemblyError(f"stage {stage.stage_id} has no Network stack")
        [vpc] = network.of_type("AWS::EC2::VPC").values()
        self.graph = Graph(title=f"{self.env} ({tag(vpc, 'profile') or 'unknown profile'})")
        self.vpc_cidr = str(vpc["Properties"].get("CidrBlock", ""))
        self.vpc_group = Group(id=f"{self.env}_vpc", label=f"VPC {self.vpc_cidr}")
        self.graph.groups.append(self.vpc_group)
        self.graph.nodes[INTERNET] = Node(INTERNET, "Internet", "circle")
        self.graph.top.append(INTERNET)
        # Which nodes stand for each security group: the resources that use it.
        self.users: dict[tuple[str, str], list[str]] = {}
        self.nat_count = 0
        self.tier_of_subnet: dict[tuple[str, str], str] = {}
        self.tiers: dict[str, Group] = {}
        for logical_id, subnet in network.of_type("AWS::EC2::Subnet").items():
            tier = tag(subnet, "aws-cdk:subnet-name") or "Subnets"
            kind = (tag(subnet, "aws-cdk:subnet-type") or "").lower()
            group = self.tiers.setdefault(
                tier, Group(id=f"{self.env}_tier_{_slug(tier)}", label=f"{tier} subnets ({kind})")
            )
            props = subnet["Properties"]
            group.label += f"<br/>{props.get('CidrBlock')} {props.get('AvailabilityZone', '')}".rstrip()
            self.tier_of_subnet[(network.name, logical_id)] = tier
        # Tiers in the order CDK numbers them: Public, Application, Data.
        self.vpc_group.children.extend(sorted(self.tiers.values(), key=lambda g: _tier_order(g.id)))
        self.handlers: dict[str, Any] = {
            "AWS::ElasticLoadBalancingV2::LoadBalancer": self.load_balancer,
            "AWS::ECS::Service": self.service,
            "AWS::RDS::DBInstance": self.database,
            "AWS::EC2::NatGateway": self.nat_gateway,
            "AWS::EC2::VPCEndpoint": self.endpoint,
            "AWS::WAFv2::WebACLAssociation": self.web_acl,
        }

    def place(self, node: Node, subnets: Any, within: Stack) -> None:
        self.graph.nodes[node.id] = node
        found = {
            self.tier_of_subnet[ref.key]
            for subnet in (subnets if isinstance(subnets, list) else [subnets])
            if (ref := self.stage.resolve(subnet, within)) is not None and ref.key in self.tier_of_subnet
        }
        if len(found) == 1:
            self.tiers[found.pop()].nodes.append(node.id)
        else:
            self.vpc_group.nodes.append(node.id)

    def uses(self, node_id: str, groups: Any, within: Stack) -> None:
        for value in groups or []:
            ref = self.stage.resolve(value, within)
            if ref is not None:
                self.users.setdefault(ref.key, []).append(node_id)

    def load_balancer(self, stack: Stack, node_id: str, props: dict[str, Any]) -> None:
        self.place(Node(node_id, f"ALB ({props.get('Scheme', 'internal')})"), props.get("Subnets", []), stack)
        self.uses(node_id, props.get("SecurityGroups"), stack)

    def service(self, stack: Stack, node_id: str, props: dict[str, Any]) -> None:
        vpc_config = props.get("NetworkConfiguration", {}).get("AwsvpcConfiguration", {})
        self.place(Node(node_id, _service_label(self.stage, stack, props)), vpc_config.get("Subnets", []), stack)
        self.uses(node_id, vpc_config.get("SecurityGroups"), stack)

    def database(self, stack: Stack, node_id: str, props: dict[str, Any]) -> None:
        subnet_group = self.stage.resolve(props.get("DBSubnetGroupName"), stack)
        subnets = [] if subnet_group is None else subnet_group.resource["Properties"].get("SubnetIds", [])
        label = (
            f"RDS {props.get('Engine')} {props.get('EngineVersion')}<br/>{props.get('DBInstanceClass')}, "
            f"{'Multi-AZ' if props.get('MultiAZ') else 'single-AZ'}"
        )
        self.place(Node(node_id, label, "cylinder"), subnets, subnet_group.stack if subnet_group else stack)
        self.uses(node_id, props.get("VPCSecurityGroups"), stack)

    def nat_gateway(self, stack: Stack, node_id: str, props: dict[str, Any]) -> None:
        # One node for all of them: one per AZ is the point, not each one.
        self.nat_count += 1
        self.place(Node(f"{self.env}_nat", f"NAT gateway x{self.nat_count}"), props.get("SubnetId"), stack)

    def endpoint(self, stack: Stack, node_id: str, props: dict[str, Any]) -> None:
        service = _endpoint_service(props)
        if props.get("VpcEndpointType") != "Interface":
            self.graph.nodes[node_id] = Node(node_id, f"Gateway endpoint {service}", "round")
            self.vpc_group.nodes.append(node_id)
            return
        endpoint = f"{self.env}_endpoints"
        previous = self.graph.nodes.get(endpoint)
        services = ([] if previous is None else previous.label.split("<br/>")[1:]) + [service]
        label = "<br/>".join(["Interface endpoints", *sorted(services)])
        self.place(Node(endpoint, label, "round"), props.get("SubnetIds", []), stack)
        self.uses(endpoint, props.get("SecurityGroupIds"), stack)

    def web_acl(self, stack: Stack, node_id: str, props: dict[str, Any]) -> None:
        target = self.stage.resolve(props.get("ResourceArn"), stack)
        acl = self.stage.resolve(props.get("WebACLArn"), stack)
        if target is None or acl is None:
            return
        waf_id = f"{self.env}_{acl.logical_id}"
        rules = len(acl.resource["Properties"].get("Rules", []))
        self.graph.nodes[waf_id] = Node(waf_id, f"WAF web ACL ({rules} rules)", "round")
        self.graph.top.append(waf_id)
        self.graph.edges.add(Edge(INTERNET, waf_id, "HTTP(S)"))
        self.graph.edges.add(Edge(waf_id, f"{self.env}_{target.logical_id}", "inspected"))


def _security_group_edges(stage: Stage, graph: Graph, users: dict[tuple[str, str], list[str]], vpc_cidr: str) -> None:
    env = stage.environment
    descriptions: dict[tuple[str, str], str] = {}
    for stack in stage.stacks.values():
        for logical_id, group in stack.of_type("AWS::EC2::SecurityGroup").items():
            descriptions[(stack.name, logical_id)] = str(group["Properties"].get("GroupDescription", logical_id))

    def nodes_of(key: tuple[str, str]) -> list[str]:
        if key in users:
            return sorted(set(users[key]))
        # A group no resource uses still appears, as itself: an unused group is worth seeing.
        node_id = f"{env}_{key[1]}"
        graph.nodes.setdefault(node_id, Node(node_id, f"security group<br/>{descriptions.get(key, key[1])}"))
        graph.groups[0].nodes.append(node_id)
        return [node_id]

    def cidr_node(cidr: str) -> str:
        if cidr in ANYWHERE:
            return INTERNET
        if cidr == vpc_cidr:
            return f"{env}_vpc"
        node_id = f"{env}_cidr_{_slug(cidr)}"
        graph.nodes.setdefault(node_id, Node(node_id, cidr, "circle"))
        graph.top.append(node_id)
        return node_id

    def add(sources: list[str], targets: list[str], rule: dict[str, Any], how: str, dashed: bool = False) -> None:
        ports = _ports(rule)
        for source in sources:
            for target in targets:
                graph.edges.add(Edge(source, target, ports, dashed))
                graph.rules.add((graph.label_of(source), graph.label_of(target), ports, how))

    for stack in _stacks_in_order(stage):
        for logical_id, group in stack.of_type("AWS::EC2::SecurityGroup").items():
            key = (stack.name, logical_id)
            props = group["Properties"]
            for rule in props.get("SecurityGroupIngress", []) or []:
                sources = _rule_sources(stage, stack, rule, nodes_of, cidr_node)
                add(sources, nodes_of(key), rule, f"ingress, inline in {stack.name}/{logical_id}")
            for rule in props.get("SecurityGroupEgress", []) or []:
                cidr = rule.get("CidrIp") or rule.get("CidrIpv6")
                if isinstance(cidr, str) and cidr != NO_EGRESS_PLACEHOLDER:
                    add(nodes_of(key), [cidr_node(cidr)], rule, f"egress, inline in {stack.name}/{logical_id}", True)
        for logical_id, ingress in stack.of_type("AWS::EC2::SecurityGroupIngress").items():
            props = ingress["Properties"]
            target = stage.resolve(props.get("GroupId"), stack)
            if target is None:
                continue
            sources = _rule_sources(stage, stack, props, nodes_of, cidr_node)
            add(sources, nodes_of(target.key), props, f"ingress, {stack.name}/{logical_id}")


def _rule_sources(stage: Stage, stack: Stack, rule: dict[str, Any], nodes_of: Any, cidr_node: Any) -> list[str]:
    if "SourceSecurityGroupId" in rule:
        source = stage.resolve(rule["SourceSecurityGroupId"], stack)
        return [] if source is None else list(nodes_of(source.key))
    cidr = rule.get("CidrIp") or rule.get("CidrIpv6")
    if isinstance(cidr, str):
        return [cidr_node(cidr)]
    if "SourcePrefixListId" in rule:
        return [cidr_node(f"prefix list {rule['SourcePrefixListId']}")]
    return []


def _ports(rule: dict[str, Any]) -> str:
    protocol = str(rule.get("IpProtocol", "-1"))
    if protocol == "-1":
        return "all traffic"
    low, high = rule.get("FromPort"), rule.get("ToPort")
    if low == high:
        return f"{protocol} {low}"
    return f"{protocol} {low}-{high}"


def _service_label(stage: Stage, stack: Stack, props: dict[str, Any]) -> str:
    task = stage.resolve(props.get("TaskDefinition"), stack)
    size = ""
    if task is not None:
        task_props = task.resource["Properties"]
        platform = task_props.get("RuntimePlatform", {})
        arch = str(platform.get("CpuArchitecture", "X86_64")).lower()
        size = f"<br/>{task_props.get('Cpu')} CPU units, {task_props.get('Memory')} MiB, {arch}"
    providers = [
        f"{s.get('CapacityProvider')} base {s.get('Base', 0)} weight {s.get('Weight', 0)}"
        for s in props.get("CapacityProviderStrategy", [])
    ]
    public = props.get("NetworkConfiguration", {}).get("AwsvpcConfiguration", {}).get("AssignPublicIp") == "ENABLED"
    return (
        f"ECS Fargate service: {props.get('DesiredCount')} task(s){size}<br/>{'; '.join(providers) or 'FARGATE'}"
        f"{'<br/>public IP per task' if public else ''}"
    )


def _endpoint_service(props: dict[str, Any]) -> str:
    name = props.get("ServiceName")
    if isinstance(name, dict) and "Fn::Join" in name:
        parts = name["Fn::Join"][1]
        return str(parts[-1]).lstrip(".")
    return str(name).split(".")[-1] if isinstance(name, str) else "unknown"


def _stacks_in_order(stage: Stage) -> list[Stack]:
    return [stage.stacks[k] for k in sorted(stage.stacks)]


def _tier_order(group_id: str) -> tuple[int, str]:
    order = {"public": 0, "application": 1, "data": 2}
    tier = group_id.rsplit("_", 1)[-1].lower()
    return (order.get(tier, 9), tier)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)


# ---------------------------------------------------------------------------------------------
# Delivery graph


def delivery_graph(assembly: CloudAssembly) -> Graph | None:
    delivery = assembly.delivery
    if delivery is None:
        return None
    graph = Graph(title="delivery")
    pipelines = delivery.of_type("AWS::CodePipeline::Pipeline")
    profiles = {s.environment: _profile(s) for s in assembly.stages}
    for pipeline_id, pipeline in pipelines.items():
        previous: str | None = None
        for stage in pipeline["Properties"].get("Stages", []):
            name = str(stage["Name"])
            node_id = f"pipeline_{_slug(name)}"
            graph.nodes[node_id] = Node(node_id, f"{name}<br/>{_stage_steps(stage)}")
            graph.top.append(node_id)
            if previous is not None:
                graph.edges.add(Edge(previous, node_id, ""))
            previous = node_id
            environment = name.lower()
            if environment in profiles:
                env_id = f"env_{environment}"
                graph.nodes[env_id] = Node(env_id, f"{environment} ({profiles[environment]})", "cylinder")
                graph.top.append(env_id)
                graph.edges.add(Edge(node_id, env_id, "deploys", dashed=True))
        graph.title = f"delivery ({pipeline_id})"
    return graph


def _profile(stage: Stage) -> str:
    network = stage.stacks.get("Network")
    vpcs = [] if network is None else list(network.of_type("AWS::EC2::VPC").values())
    return (tag(vpcs[0], "profile") if vpcs else None) or "unknown profile"


def _stage_steps(stage: dict[str, Any]) -> str:
    steps: list[str] = []
    for action in sorted(stage.get("Actions", []), key=lambda a: (a.get("RunOrder", 1), a["Name"])):
        category = action.get("ActionTypeId", {}).get("Category")
        name = str(action["Name"]).split(".")[0]
        if category == "Source":
            config = action.get("Configuration", {})
            step = f"{config.get('FullRepositoryId', name)} {config.get('BranchName', '')}".strip()
        elif category == "Deploy":
            step = f"deploy {name}"
        elif category == "Approval":
            step = "manual approval"
        else:
            step = name
        if not steps or steps[-1] != step:
            steps.append(step)
    return " → ".join(steps)


# ---------------------------------------------------------------------------------------------
# Rendering


def mermaid(graph: Graph) -> str:
    lines = ["flowchart LR"]
    shapes = {"box": ('["', '"]'), "round": ('("', '")'), "cylinder": ('[("', '")]'), "circle": ('(("', '"))')}

    def node_line(node_id: str, indent: str) -> str:
        node = graph.nodes[node_id]
        opening, closing = shapes[node.shape]
        return f"{indent}{node.id}{opening}{_escape(node.label)}{closing}"

    def group_lines(group: Group, indent: str) -> None:
        lines.append(f'{indent}subgraph {group.id}["{_escape(group.label)}"]')
        for child in group.children:
            group_lines(child, indent + "  ")
        lines.extend(node_line(n, indent + "  ") for n in group.nodes)
        lines.append(f"{indent}end")

    lines.extend(node_line(n, "  ") for n in graph.top)
    for group in graph.groups:
        group_lines(group, "  ")
    for edge in sorted(graph.edges):
        arrow = "-.->" if edge.dashed else "-->"
        label = f'|"{_escape(edge.label)}"|' if edge.label else ""
        lines.append(f"  {edge.source} {arrow}{label} {edge.target}")
    return "\n".join(lines) + "\n"


def dot(graph: Graph) -> str:
    lines = [f'digraph "{graph.title}" {{', "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    shapes = {"box": "box", "round": "box", "cylinder": "cylinder", "circle": "ellipse"}

    def node_line(node_id: str, indent: str) -> str:
        node = graph.nodes[node_id]
        style = ', style="rounded"' if node.shape == "round" else ""
        return f'{indent}"{node.id}" [label="{_dot_label(node.label)}", shape={shapes[node.shape]}{style}];'

    def group_lines(group: Group, indent: str) -> None:
        lines.append(f'{indent}subgraph "cluster_{group.id}" {{')
        lines.append(f'{indent}  label="{_dot_label(group.label)}";')
        # An edge may start at a group (the VPC's CIDR): dot needs a node for it, and only then.
        if any(group.id in (edge.source, edge.target) for edge in graph.edges):
            lines.append(f'{indent}  "{group.id}" [label="{_dot_label(group.label.split("<br/>")[0])}", shape=point];')
        for child in group.children:
            group_lines(child, indent + "  ")
        lines.extend(node_line(n, indent + "  ") for n in group.nodes)
        lines.append(f"{indent}}}")

    lines.extend(node_line(n, "  ") for n in graph.top)
    for group in graph.groups:
        group_lines(group, "  ")
    for edge in sorted(graph.edges):
        style = ", style=dashed" if edge.dashed else ""
        lines.append(f'  "{edge.source}" -> "{edge.target}" [label="{_dot_label(edge.label)}"{style}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace('"', "#quot;")


def _dot_label(text: str) -> str:
    return text.replace('"', '\\"').replace("<br/>", "\\n")


def markdown(assembly: CloudAssembly) -> str:
    out = [
        "# Architecture",
        "",
        "Generated by `make diagram` from the synthesized templates in `cdk.out/`; do not edit by hand.",
        "`tests/ops/test_diagram.py` regenerates it from a fresh synth and fails when this file differs.",
        "Solid arrows are what a security group lets in (inline rules and `AWS::EC2::SecurityGroupIngress`,",
        "followed across stacks); dashed arrows are egress to an address range, and the pipeline's deploys.",
        "",
    ]
    delivery = delivery_graph(assembly)
    if delivery is not None:
        out += ["## Delivery path", "", "```mermaid", mermaid(delivery).rstrip("\n"), "```", ""]
    for stage in assembly.stages:
        graph = environment_graph(stage)
        out += [f"## {graph.title}", "", "```mermaid", mermaid(graph).rstrip("\n"), "```", ""]
        out += ["| from | to | port | rule |", "|---|---|---|---|"]
        for source, target, ports, how in sorted(graph.rules):
            out.append(f"| {_cell(source)} | {_cell(target)} | {ports} | {how} |")
        out.append("")
    return "\n".join(out)


def _cell(text: str) -> str:
    return text.replace("<br/>", ", ").replace("|", "\\|")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cdk-out", type=Path, default=REPO_ROOT / "cdk.out")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="exit 1 when the output file differs, write nothing")
    args = parser.parse_args(argv)
    try:
        assembly = load(args.cdk_out)
        synthesized = [stage.environment for stage in assembly.stages]
        if synthesized != list(ENVIRONMENT_NAMES):
            # `make synth ENV=qa` leaves one stage: a diagram of it would drop the others from the docs.
            raise AssemblyError(
                f"{args.cdk_out} holds {', '.join(synthesized) or 'no environment'}, not every environment"
                f" ({', '.join(ENVIRONMENT_NAMES)}): run `make synth` without ENV first"
            )
        text = markdown(assembly)
    except AssemblyError as error:
        print(f"diagram: {error}", file=sys.stderr)
        return 2
    if args.check:
        current = args.output.read_text() if args.output.is_file() else ""
        if current != text:
            print(f"{args.output} is out of date: run `make diagram`", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text)
    print(f"wrote {args.output}")
    dot_binary = shutil.which("dot")
    diagrams = args.cdk_out / "diagrams"
    diagrams.mkdir(exist_ok=True)
    for stage in assembly.stages:
        source = diagrams / f"{stage.environment}.dot"
        source.write_text(dot(environment_graph(stage)))
        if dot_binary is not None:
            svg = source.with_suffix(".svg")
            subprocess.run([dot_binary, "-Tsvg", str(source), "-o", str(svg)], check=True)
            print(f"wrote {svg}")
    if dot_binary is None:
        print(f"graphviz `dot` not on PATH: DOT sources in {diagrams}/, no SVG (optional)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
