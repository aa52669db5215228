"""One environment's dashboard, the alarms that page, and the events that feed both.

Alarms and the failed-deployment rule notify the account's alerts topic, which the account baseline
owns. The baseline is an app-level stack and this construct lives in a stage, which may not reference
it: the topic is addressed by its fixed name (`ALERTS_TOPIC_NAME`) in this stack's account and region.
Config validation keeps every environment in its baseline's region (`config/baselines.py`), because a
CloudWatch alarm can only notify a topic in its own region.

Counts of events (Spot interruptions, stack deployments) are the `AWS/Events` `MatchedEvents` metric
of a rule that matches exactly those events: EventBridge counts a rule's matches whether or not it
has a target, so no log group, metric filter or function is needed to turn an event into a number.
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns
from constructs import Construct

from components.security_alerts import ALERTS_TOPIC_NAME
from config.model import EnvironmentConfig

GIB = 1024**3  # bytes
ONE_MINUTE = cdk.Duration.minutes(1)
FIVE_MINUTES = cdk.Duration.minutes(5)
ONE_DAY = cdk.Duration.days(1)


@dataclass(frozen=True)
class Thresholds:
    """What pages someone. Periods are one minute for the load balancer, five for the database."""

    # percent of requests answered 5xx by the tasks, over `http_5xx_minutes` consecutive minutes
    http_5xx_percent: float = 5
    http_5xx_minutes: int = 5
    # any unhealthy target for this many consecutive minutes (a replacement task passes its health
    # check within the 60-second grace period and two 15-second checks, so shorter is noise)
    unhealthy_host_minutes: int = 5
    # average database CPU percent over three consecutive five-minute periods
    database_cpu_percent: float = 80
    database_cpu_periods: int = 3
    # free storage below this fraction of the allocated storage (RDS storage autoscaling grows the
    # volume at 10 % free; below it, autoscaling has reached its maximum or is not keeping up)
    database_free_storage_fraction: float = 0.1


# ECS emits several task state changes per stopped task; STOPPED is emitted once per task.
def spot_interruption_pattern(cluster_arn: str) -> events.EventPattern:
    return events.EventPattern(
        source=["aws.ecs"],
        detail_type=["ECS Task State Change"],
        detail={"clusterArn": [cluster_arn], "lastStatus": ["STOPPED"], "stopCode": ["SpotInterruption"]},
    )


# The circuit breaker has rolled the service back (or failed it): ECS emits this once per deployment.
def deployment_failed_pattern(service_arn: str) -> events.EventPattern:
    return events.EventPattern(
        source=["aws.ecs"],
        detail_type=["ECS Deployment State Change"],
        resources=[service_arn],
        detail={"eventName": ["SERVICE_DEPLOYMENT_FAILED"]},
    )


# The findings gate's metric namespace (lambda/findings_processor/handler.py, GATE_METRICS_NAMESPACE).
GATE_METRICS_NAMESPACE = "Platform/Gate"


# CloudFormation's own status events for this environment's stacks (`<Stage>-<Stack>`), which is what
# the pipeline's deploy actions do in this account.
def stack_status_pattern(stacks_arn_prefix: str, statuses: list[str]) -> events.EventPattern:
    return events.EventPattern(
        source=["aws.cloudformation"],
        detail_type=["CloudFormation Stack Status Change"],
        detail={"stack-id": [{"prefix": stacks_arn_prefix}], "status-details": {"status": statuses}},
    )


DEPLOYED_STATUSES = ["CREATE_COMPLETE", "UPDATE_COMPLETE"]
ROLLED_BACK_STATUSES = ["CREATE_FAILED", "ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED"]


class Monitoring(Construct):
    """`dashboard`, `alarms` (by id) and `rules` (by id) of one environment's service tier."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentConfig,
        load_balancer: elbv2.IApplicationLoadBalancer,
        target_group: elbv2.IApplicationTargetGroup,
        service: ecs.FargateService,
        database: rds.IDatabaseInstance,
        thresholds: Thresholds = Thresholds(),  # a frozen dataclass: an immutable default
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.alerts_topic_arn = stack.format_arn(service="sns", resource=ALERTS_TOPIC_NAME)
        alerts = sns.Topic.from_topic_arn(self, "AlertsTopic", self.alerts_topic_arn)
        self._action = cloudwatch_actions.SnsAction(alerts)
        self._env = env

        # --- Events -------------------------------------------------------------------------------
        self.rules: dict[str, events.Rule] = {}
        self.rules["DeploymentFailed"] = events.Rule(
            self,
            "DeploymentFailed",
            description=f"{env.name}: an ECS deployment failed and the circuit breaker rolled it back",
            event_pattern=deployment_failed_pattern(service.service_arn),
            # An event, not a metric: straight to the alerts topic. EventBridge retries for 24 hours.
            targets=[targets.SnsTopic(alerts)],
        )
        self.rules["SpotInterruptions"] = events.Rule(
            self,
            "SpotInterruptions",
            description=f"{env.name}: counts Fargate Spot interruptions of the service's tasks (no target)",
            event_pattern=spot_interruption_pattern(service.cluster.cluster_arn),
        )
        stacks_prefix = stack.format_arn(service="cloudformation", resource="stack", resource_name=f"{env.stage_id}-")
        self.rules["StacksDeployed"] = events.Rule(
            self,
            "StacksDeployed",
            description=f"{env.name}: counts stack deployments that completed (no target)",
            event_pattern=stack_status_pattern(stacks_prefix, DEPLOYED_STATUSES),
        )
        self.rules["StacksRolledBack"] = events.Rule(
            self,
            "StacksRolledBack",
            description=f"{env.name}: counts stack deployments that failed or rolled back (no target)",
            event_pattern=stack_status_pattern(stacks_prefix, ROLLED_BACK_STATUSES),
        )

        # --- Metrics ------------------------------------------------------------------------------
        alb = load_balancer.metrics
        tg = target_group.metrics
        requests = tg.request_count(period=ONE_MINUTE, label="Requests")
        target_5xx = tg.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=ONE_MINUTE, label="Target 5xx")
        elb_5xx = alb.http_code_elb(elbv2.HttpCodeElb.ELB_5XX_COUNT, period=ONE_MINUTE, label="Load balancer 5xx")
        http_5xx_rate = cloudwatch.MathExpression(
            expression="IF(requests > 0, 100 * errors / requests, 0)",
            using_metrics={"errors": target_5xx, "requests": requests},
            period=ONE_MINUTE,
            label="Target 5xx, % of requests",
        )
        unhealthy = tg.unhealthy_host_count(period=ONE_MINUTE, statistic="Maximum", label="Unhealthy targets")
        healthy = tg.healthy_host_count(period=ONE_MINUTE, statistic="Minimum", label="Healthy targets")
        cluster_and_service = {"ClusterName": service.cluster.cluster_name, "ServiceName": service.service_name}
        running, desired = (
            cloudwatch.Metric(
                namespace="ECS/ContainerInsights",
                metric_name=name,
                dimensions_map=cluster_and_service,
                statistic="Average",
                period=ONE_MINUTE,
                label=label,
            )
            for name, label in (("RunningTaskCount", "Running tasks"), ("DesiredTaskCount", "Desired tasks"))
        )
        database_cpu = database.metric_cpu_utilization(period=FIVE_MINUTES, label="Database CPU %")
        free_storage = database.metric_free_storage_space(
            period=FIVE_MINUTES, statistic="Minimum", label="Free storage (bytes)"
        )

        # --- Alarms -------------------------------------------------------------------------------
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        self._alarm(
            "Http5xxRate",
            http_5xx_rate,
            f"more than {thresholds.http_5xx_percent}% of requests answered 5xx by the tasks "
            f"for {thresholds.http_5xx_minutes} minutes",
            threshold=thresholds.http_5xx_percent,
            periods=thresholds.http_5xx_minutes,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )
        self._alarm(
            "UnhealthyHosts",
            unhealthy,
            f"an unhealthy target behind the load balancer for {thresholds.unhealthy_host_minutes} minutes",
            threshold=0,
            periods=thresholds.unhealthy_host_minutes,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )
        self._alarm(
            "DatabaseCpuHigh",
            database_cpu,
            f"database CPU above {thresholds.database_cpu_percent}% for {thresholds.database_cpu_periods * 5} minutes",
            threshold=thresholds.database_cpu_percent,
            periods=thresholds.database_cpu_periods,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )
        storage_floor = int(env.database.allocated_storage_gib * GIB * thresholds.database_free_storage_fraction)
        self._alarm(
            "DatabaseFreeStorageLow",
            free_storage,
            f"database free storage below {storage_floor} bytes "
            f"({thresholds.database_free_storage_fraction:.0%} of the allocated "
            f"{env.database.allocated_storage_gib} GiB)",
            threshold=storage_floor,
            periods=1,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        )

        # --- Dashboard ----------------------------------------------------------------------------
        def rule_count(rule_id: str, label: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/Events",
                metric_name="MatchedEvents",
                dimensions_map={"RuleName": self.rules[rule_id].rule_name},
                statistic="Sum",
                period=FIVE_MINUTES,
                label=label,
            )

        def gate_metric(name: str, label: str) -> cloudwatch.Metric:
            # Published by the findings gate as embedded metrics, one data point per decision for this
            # environment (lambda/findings_processor/handler.py): every pipeline run that reaches it.
            return cloudwatch.Metric(
                namespace=GATE_METRICS_NAMESPACE,
                metric_name=name,
                dimensions_map={"Environment": env.name},
                statistic="Sum",
                period=ONE_DAY,
                label=label,
            )

        def graph(title: str, left: list[cloudwatch.IMetric], **kwargs: object) -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(title=title, left=left, width=8, height=6, **kwargs)  # type: ignore[arg-type]

        database_row = [
            graph("Database CPU (%)", [database_cpu]),
            graph("Database connections", [database.metric_database_connections(period=FIVE_MINUTES)]),
            graph("Database free storage (bytes)", [free_storage]),
        ]
        if env.database.multi_az:
            # A Multi-AZ instance has a synchronous standby, not a readable replica: RDS publishes no
            # ReplicaLag for it. The cost of that replication shows as write latency instead.
            database_row.append(
                graph(
                    "Database write latency (s; includes the synchronous write to the Multi-AZ standby)",
                    [database.metric("WriteLatency", period=FIVE_MINUTES, statistic="p99", label="Write latency p99")],
                )
            )
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"{env.stage_id}-service",
            default_interval=cdk.Duration.hours(3),
            widgets=[
                [
                    cloudwatch.TextWidget(
                        markdown=(
                            f"# {env.name}: service tier\nAlarms notify the account's `{ALERTS_TOPIC_NAME}` topic."
                        ),
                        width=24,
                        height=2,
                    )
                ],
                [
                    graph("Requests", [requests]),
                    graph("5xx responses", [elb_5xx, target_5xx], right=[http_5xx_rate]),
                    graph(
                        "Target response time (s)",
                        [
                            alb.target_response_time(period=ONE_MINUTE, statistic="p50", label="p50"),
                            alb.target_response_time(period=ONE_MINUTE, statistic="p99", label="p99"),
                        ],
                    ),
                ],
                [
                    graph("Targets", [healthy, unhealthy]),
                    graph(
                        "Tasks: CPU and memory (%)",
                        [
                            service.metric_cpu_utilization(period=ONE_MINUTE, label="CPU"),
                            service.metric_memory_utilization(period=ONE_MINUTE, label="Memory"),
                        ],
                    ),
                    graph("Tasks: running vs desired (Container Insights)", [running, desired]),
                ],
                [
                    graph("Fargate Spot interruptions", [rule_count("SpotInterruptions", "Tasks interrupted")]),
                    graph(
                        "Stack deployments into this environment",
                        [
                            rule_count("StacksDeployed", "Stacks deployed"),
                            rule_count("StacksRolledBack", "Stacks failed or rolled back"),
                        ],
                    ),
                    graph(
                        "Pipeline runs through the findings gate (metrics of the account the gate runs in)",
                        [gate_metric("GateRuns", "Runs"), gate_metric("GateBlocked", "Blocked")],
                        right=[gate_metric("GateErrors", "Gate could not decide")],
                    ),
                ],
                database_row,
            ],
        )

    def _alarm(
        self,
        alarm_id: str,
        metric: cloudwatch.IMetric,
        description: str,
        *,
        threshold: float,
        periods: int,
        comparison: cloudwatch.ComparisonOperator,
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            alarm_id,
            alarm_name=f"{self._env.stage_id}-{alarm_id}",
            alarm_description=f"{self._env.name}: {description}",
            metric=metric,
            threshold=threshold,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            comparison_operator=comparison,
            # No data is no traffic or no tasks reporting: the other alarms and the deployment rule cover those.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        # OK too: whoever was paged learns that it has recovered.
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms[alarm_id] = alarm
