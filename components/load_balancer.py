"""The internet-facing Application Load Balancer: listeners, TLS, DNS alias, access logs."""

from __future__ import annotations

import typing

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as route53_targets
from aws_cdk import aws_s3 as s3
from constructs import Construct

from components.scanner_skips import skip_checkov
from config.model import DomainConfig, EnvironmentConfig

HTTPS_PORT = 443
HTTP_PORT = 80
# A current TLS 1.3 policy (TLS 1.2 kept for older clients, forward-secret ciphers only).
SSL_POLICY = elbv2.SslPolicy.RECOMMENDED_TLS


class LoadBalancer(Construct):
    """With a domain: HTTPS only (port 80 answers with a redirect) and an alias record when a zone
    is configured. Without one (lean only; config validation refuses it in enterprise): HTTP.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentConfig,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        access_logs_bucket: s3.IBucket,
        access_logs_prefix: str,
    ) -> None:
        super().__init__(scope, construct_id)
        if env.is_enterprise and env.domain is None:
            raise ValueError(f"environment {env.name!r} is enterprise and has no domain; it must serve HTTPS")
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description=f"{env.name} load balancer: the listener ports from the internet, out only to the tasks",
            allow_all_outbound=False,
        )
        self.alb = elbv2.ApplicationLoadBalancer(
            self,
            "Alb",
            vpc=vpc,
            vpc_subnets=subnets,
            internet_facing=True,
            security_group=self.security_group,
            drop_invalid_header_fields=True,
            desync_mitigation_mode=elbv2.DesyncMitigationMode.DEFENSIVE,
            deletion_protection=env.is_enterprise,
        )
        skip_checkov(
            typing.cast(cdk.CfnResource, self.security_group.node.default_child),
            "CKV_AWS_260",
            "port 80 from the internet is the listener that redirects to HTTPS (or, in a lean environment "
            "without a domain, the only listener)",
        )
        # Set as attributes rather than through log_access_logs(): the bucket lives in the Data
        # stack, which writes its own delivery policy, so nothing here points back at it.
        self.alb.set_attribute("access_logs.s3.enabled", "true")
        self.alb.set_attribute("access_logs.s3.bucket", access_logs_bucket.bucket_name)
        self.alb.set_attribute("access_logs.s3.prefix", access_logs_prefix)
        if env.domain is None:
            self.listener = self.alb.add_listener(
                "HttpListener", port=HTTP_PORT, protocol=elbv2.ApplicationProtocol.HTTP, open=True
            )
            reason = "lean environment without a domain: no name to certify; acknowledged in acknowledgements.toml"
            cfn_listener = typing.cast(cdk.CfnResource, self.listener.node.default_child)
            skip_checkov(cfn_listener, "CKV_AWS_2", f"{reason} (HTTP only)")
            skip_checkov(cfn_listener, "CKV_AWS_103", f"{reason} (no TLS policy without a certificate)")
        else:
            zone = _hosted_zone(self, env.domain)
            self.listener = self.alb.add_listener(
                "HttpsListener",
                port=HTTPS_PORT,
                protocol=elbv2.ApplicationProtocol.HTTPS,
                ssl_policy=SSL_POLICY,
                certificates=[self._certificate(env.domain, zone)],
                open=True,
            )
            self.alb.add_redirect(
                source_port=HTTP_PORT,
                source_protocol=elbv2.ApplicationProtocol.HTTP,
                target_port=HTTPS_PORT,
                target_protocol=elbv2.ApplicationProtocol.HTTPS,
            )
            if zone is not None:
                route53.ARecord(
                    self,
                    "AliasRecord",
                    zone=zone,
                    record_name=env.domain.domain_name,
                    target=route53.RecordTarget.from_alias(route53_targets.LoadBalancerTarget(self.alb)),
                )

    def _certificate(self, domain: DomainConfig, zone: route53.IHostedZone | None) -> elbv2.IListenerCertificate:
        if domain.certificate_arn is not None:
            return elbv2.ListenerCertificate.from_arn(domain.certificate_arn)
        if zone is None:
            raise ValueError(f"domain {domain.domain_name!r} needs certificate_arn or hosted_zone_id")
        certificate = acm.Certificate(
            self,
            "Certificate",
            domain_name=domain.domain_name,
            validation=acm.CertificateValidation.from_dns(zone),
        )
        return elbv2.ListenerCertificate.from_certificate_manager(certificate)

    def forward_to(
        self, service: ecs.FargateService, *, container_port: int, health_check_path: str
    ) -> elbv2.ApplicationTargetGroup:
        """Forward every request on the serving listener to `service`, and open the ALB → task path."""
        return self.listener.add_targets(
            "Service",
            port=container_port,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[service],
            health_check=elbv2.HealthCheck(
                path=health_check_path,
                healthy_http_codes="200",
                interval=cdk.Duration.seconds(15),
                timeout=cdk.Duration.seconds(5),
                healthy_threshold_count=2,
                unhealthy_threshold_count=3,
            ),
            # seconds: inside the workload's 25 s SIGTERM drain
            deregistration_delay=cdk.Duration.seconds(30),
        )


def _hosted_zone(scope: Construct, domain: DomainConfig) -> route53.IHostedZone | None:
    if domain.hosted_zone_id is None or domain.hosted_zone_name is None:
        return None
    # Attributes from config, never a lookup: synth stays offline and deterministic.
    return route53.HostedZone.from_hosted_zone_attributes(
        scope, "HostedZone", hosted_zone_id=domain.hosted_zone_id, zone_name=domain.hosted_zone_name
    )
