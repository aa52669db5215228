"""RDS PostgreSQL with RDS-managed master credentials, encrypted with our key, SSL forced."""

from __future__ import annotations

import typing

import aws_cdk as cdk
from aws_cdk import aws_backup as backup
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from components.log_retention import retention
from components.scanner_skips import skip_checkov
from config.model import EnvironmentConfig

POSTGRES_PORT = 5432
LOG_EXPORTS = ("postgresql", "upgrade")


class Database(Construct):
    """The environment's PostgreSQL instance in the isolated subnets.

    RDS manages the master password itself: it creates the secret (encrypted with our data key),
    rotates it, and applies each new password to the instance at once, so Secrets Manager and the
    database never disagree and no rotation function or network path to Secrets Manager is needed.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentConfig,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        data_key: kms.IKey,
        logs_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        major = env.database.engine_version.split(".")[0]
        engine = rds.DatabaseInstanceEngine.postgres(
            version=rds.PostgresEngineVersion.of(env.database.engine_version, major)
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description=f"{env.name} PostgreSQL: ingress only from the service tasks",
            allow_all_outbound=False,
        )
        parameters = rds.ParameterGroup(
            self,
            "Parameters",
            engine=engine,
            description=f"{env.name} PostgreSQL: TLS only, connection and DDL logging",
            parameters={
                "rds.force_ssl": "1",
                "ssl_min_protocol_version": "TLSv1.2",
                "log_connections": "1",
                "log_disconnections": "1",
                "log_statement": "ddl",
                # milliseconds: statements slower than this are logged
                "log_min_duration_statement": "1000",
            },
        )
        identifier = f"{env.name}-{env.database.database_name}".replace("_", "-")
        # Created here rather than by RDS so they are encrypted with our key and carry our retention.
        self.log_groups = [
            logs.LogGroup(
                self,
                f"{export.capitalize()}LogGroup",
                log_group_name=f"/aws/rds/instance/{identifier}/{export}",
                encryption_key=logs_key,
                retention=retention(env.log_retention_days),
                removal_policy=cdk.RemovalPolicy.RETAIN if env.is_enterprise else cdk.RemovalPolicy.DESTROY,
            )
            for export in LOG_EXPORTS
        ]
        self.instance = rds.DatabaseInstance(
            self,
            "Instance",
            engine=engine,
            instance_identifier=identifier,
            instance_type=ec2.InstanceType(env.database.instance_class),
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=[self.security_group],
            port=POSTGRES_PORT,
            database_name=env.database.database_name,
            credentials=rds.Credentials.from_username(env.database.admin_username, encryption_key=data_key),
            manage_master_user_password=True,
            storage_encrypted=True,
            storage_encryption_key=data_key,
            storage_type=rds.StorageType.GP3,
            allocated_storage=env.database.allocated_storage_gib,
            max_allocated_storage=env.database.max_allocated_storage_gib,
            multi_az=env.database.multi_az,
            publicly_accessible=False,
            iam_authentication=True,
            parameter_group=parameters,
            backup_retention=cdk.Duration.days(env.database.backup_retention_days),
            delete_automated_backups=False,
            copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True,
            allow_major_version_upgrade=False,
            cloudwatch_logs_exports=list(LOG_EXPORTS),
            monitoring_interval=cdk.Duration.seconds(60),
            enable_performance_insights=env.is_enterprise,
            performance_insight_encryption_key=data_key if env.is_enterprise else None,
            deletion_protection=env.is_enterprise,
            removal_policy=cdk.RemovalPolicy.SNAPSHOT,
        )
        for log_group in self.log_groups:
            self.instance.node.add_dependency(log_group)
        cfn_instance = typing.cast(rds.CfnDBInstance, self.instance.node.default_child)
        # A replacement would be a new, empty database: snapshot first, whatever the profile.
        cfn_instance.cfn_options.update_replace_policy = cdk.CfnDeletionPolicy.SNAPSHOT
        if not env.database.multi_az:
            skip_checkov(
                cfn_instance,
                "CKV_AWS_157",
                "lean profile: single-AZ database to halve its cost; acknowledged in compliance/acknowledgements.toml",
            )
        if self.instance.secret is None:
            raise RuntimeError("RDS-managed master credentials should expose their secret; aws-cdk-lib changed")
        self.secret: secretsmanager.ISecret = self.instance.secret
        self.data_key = data_key
        if env.is_enterprise:
            self._add_backup_plan(data_key)

    def _add_backup_plan(self, data_key: kms.IKey) -> None:
        # AWS Backup on top of RDS automated backups: daily recovery points kept for 35 days in a
        # vault encrypted with our key, outside the instance's own lifecycle.
        vault = backup.BackupVault(
            self, "BackupVault", encryption_key=data_key, removal_policy=cdk.RemovalPolicy.RETAIN
        )
        plan = backup.BackupPlan(self, "BackupPlan", backup_vault=vault)
        plan.add_rule(
            backup.BackupPlanRule(
                rule_name="Daily",
                schedule_expression=events.Schedule.cron(hour="3", minute="0"),
                delete_after=cdk.Duration.days(35),
            )
        )
        plan.add_selection("Database", resources=[backup.BackupResource.from_rds_database_instance(self.instance)])
