"""The self-updating pipeline: synth (make test, make synth), scan, image, then dev -> ... -> prod.

Every environment's deploy is preceded, in order, by: the findings gate with that environment's policy
(the Lambda), the image copied into its repository, tagged, given its SBOM, signed and verified, the
permissions-broadening check (enterprise), and a manual approval (when config asks for one).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
import jsii
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_codepipeline_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_signer as signer
from aws_cdk import aws_sns as sns
from aws_cdk import pipelines
from constructs import Construct

from config.image_access import PUBLISH_ROLE_NAME, admitted_role_names, release_role_name
from config.model import DeliveryConfig, EnvironmentConfig, SourceKind, image_repository_name
from delivery.tools import install_commands, load_tools, python_scanners_install_command

CODE_SCANNERS = "bandit,pip-audit,semgrep,checkov,trivy-fs,trivy-config,gitleaks"
IMAGE_SCANNERS = "trivy-image,grype"
SCANNERS_PYTHON = ".venv-scanners/bin/python"
BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0
PYTHON_RUNTIME = "3.11"
# The CDK CLI the pipeline installs is the one package.json pins for `make synth`: one version, never a
# moving `aws-cdk@2` or an unversioned `aws-cdk`.
CDK_CLI_VERSION = json.loads((Path(__file__).resolve().parent.parent / "package.json").read_text())["devDependencies"][
    "aws-cdk"
]
# cdk-assets publishes the file assets; aws-cdk-lib's default is `latest`, a moving target. Pinned here.
CDK_ASSETS_CLI_VERSION = "4.7.3"


@jsii.implements(pipelines.ICodePipelineActionFactory)
class FindingsGateStep(pipelines.Step):
    """Invokes the findings processor Lambda on the scan reports with one environment's gate policy."""

    def __init__(self, step_id: str, *, function: lambda_.IFunction, reports: pipelines.FileSet, env: str) -> None:
        super().__init__(step_id)
        self._function = function
        self._reports = reports
        self._env = env
        self._add_dependency_file_set(reports)

    def produce_action(
        self,
        stage: codepipeline.IStage,
        *,
        scope: Construct,
        action_name: str,
        run_order: int,
        artifacts: pipelines.ArtifactMap,
        **_: object,
    ) -> pipelines.CodePipelineActionFactoryResult:
        stage.add_action(
            actions.LambdaInvokeAction(
                action_name=action_name,
                run_order=run_order,
                lambda_=self._function,
                inputs=[artifacts.to_code_pipeline(self._reports)],
                user_parameters={"env": self._env},
            )
        )
        return pipelines.CodePipelineActionFactoryResult(run_orders_consumed=1)


class DeliveryPipeline(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        delivery: DeliveryConfig,
        environments: Sequence[EnvironmentConfig],
        stages: Sequence[cdk.Stage],
        gate_function: lambda_.IFunction,
        log_group: logs.ILogGroup,
        notifications: sns.ITopic,
        signing_profile: signer.ISigningProfile,
    ) -> None:
        super().__init__(scope, construct_id)
        if [s.stage_name for s in stages] != [e.stage_id for e in environments]:
            raise ValueError("stages must be the environments' stages, in promotion order")
        stack = cdk.Stack.of(self)
        tools = load_tools()
        repository = environments[0].repository
        self.scope_prefix = repository.full_name
        self.source = self._source(delivery, repository.full_name, environments[0].branch)

        self.synth = pipelines.CodeBuildStep(
            "Synth",
            input=self.source,
            # The same two commands as everywhere; .ci/run starts the PostgreSQL the workload's tests need.
            commands=[".ci/run", "make synth"],
            primary_output_directory="cdk.out",
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            synth=self.synth,
            pipeline_type=codepipeline.PipelineType.V2,
            cross_account_keys=True,
            enable_key_rotation=True,
            self_mutation=True,
            cli_version=CDK_CLI_VERSION,
            cdk_assets_cli_version=CDK_ASSETS_CLI_VERSION,
            use_pipeline_role_for_actions=False,
            publish_assets_in_parallel=False,
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(
                    build_image=BUILD_IMAGE, compute_type=codebuild.ComputeType.MEDIUM, privileged=False
                ),
                logging=codebuild.LoggingOptions(cloud_watch=codebuild.CloudWatchLoggingOptions(log_group=log_group)),
                timeout=cdk.Duration.hours(1),
                partial_build_spec=codebuild.BuildSpec.from_object(
                    {"phases": {"install": {"runtime-versions": {"python": PYTHON_RUNTIME}}}}
                ),
            ),
        )

        scanner_env = {"PROCESSOR_PYTHON": SCANNERS_PYTHON}
        junit_report = codebuild.BuildSpec.from_object(
            {"reports": {"Findings": {"files": ["findings.junit.xml"], "base-directory": "scan/results"}}}
        )
        self.code_scan = pipelines.CodeBuildStep(
            "CodeScan",
            input=self.source,
            additional_inputs={"cdk.out": self.synth},
            install_commands=[python_scanners_install_command(), *install_commands(tools, ("trivy", "gitleaks"))],
            commands=[
                _command(
                    "scripts/security-scan.sh",
                    "--env",
                    environments[0].name,
                    "--out",
                    "scan",
                    "--scanners",
                    CODE_SCANNERS,
                    "--cdk-out",
                    "cdk.out",
                    "--scope",
                    f"{self.scope_prefix}/code",
                )
            ],
            env=scanner_env,
            primary_output_directory="scan/reports",
            partial_build_spec=junit_report,
        )
        first = environments[0]
        first_registry = _registry(stack, first)
        self.image = pipelines.CodeBuildStep(
            "Image",
            input=self.source,
            additional_inputs={"code-scan": self.code_scan},
            # The only privileged project: docker builds the image here, and nowhere else.
            build_environment=codebuild.BuildEnvironment(
                build_image=BUILD_IMAGE, compute_type=codebuild.ComputeType.MEDIUM, privileged=True
            ),
            install_commands=[python_scanners_install_command(), *install_commands(tools, ("trivy", "grype"))],
            commands=[
                "scripts/image-release.sh build image",
                "mkdir -p scan/reports && find code-scan -maxdepth 1 -type f ! -name gate-exceptions.toml "
                "-exec cp {} scan/reports/ \\;",
                # Scanned before any push: the gate over code and image reports together.
                _command(
                    "scripts/security-scan.sh",
                    "--env",
                    first.name,
                    "--out",
                    "scan",
                    "--scanners",
                    IMAGE_SCANNERS,
                    "--image-archive",
                    "image/image.tar",
                    "--scope",
                    f"{self.scope_prefix}/pipeline",
                    "--import",
                ),
                "trivy image --quiet --input image/image.tar --format cyclonedx --output scan/results/sbom.cdx.json",
                "scripts/image-release.sh publish image",
            ],
            env={
                **scanner_env,
                "TARGET_REGISTRY": first_registry,
                "REPOSITORY": _repository_name(delivery, first),
            },
            primary_output_directory="scan/reports",
            partial_build_spec=junit_report,
            role_policy_statements=[
                *_import_findings(stack),
                *_ecr_push(stack, first, delivery),
            ],
        )
        self.results = self.image.add_output_directory("scan/results")
        reports = self.image.primary_output
        if reports is None:
            raise ValueError("the Image step must produce the scan reports as its primary output")
        scan = self.pipeline.add_wave("Scan")
        scan.add_post(self.code_scan, self.image)

        previous: EnvironmentConfig | None = None
        self.release_steps: dict[str, pipelines.CodeBuildStep] = {}
        for env, stage in zip(environments, stages, strict=True):
            self.release_steps[env.name] = self._release_step(stack, delivery, env, previous, signing_profile)
            steps: list[pipelines.Step] = [
                FindingsGateStep("Gate", function=gate_function, reports=reports, env=env.name),
                self.release_steps[env.name],
            ]
            if env.is_enterprise:
                steps.append(pipelines.ConfirmPermissionsBroadening("CheckBroadening", stage=stage))
            if env.approval_required:
                steps.append(
                    pipelines.ManualApprovalStep(
                        "Approve",
                        comment=f"Deploy to {env.name}: the gate passed with {env.name}'s policy and the image is "
                        "signed; review the summary in the Gate action and the broadening check before approving.",
                    )
                )
            self.pipeline.add_stage(stage, pre=pipelines.Step.sequence(steps))
            previous = env

        self.pipeline.build_pipeline()
        self._name_roles_other_accounts_admit(admitted_role_names(delivery, environments))
        self._harden_security_check_project(log_group)
        self._trigger_on_mapped_branches(delivery, environments)
        self.pipeline.pipeline.notify_on(
            "Notifications",
            notifications,
            events=[
                codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_FAILED,
                codepipeline.PipelineNotificationEvents.ACTION_EXECUTION_FAILED,
                codepipeline.PipelineNotificationEvents.STAGE_EXECUTION_FAILED,
                codepipeline.PipelineNotificationEvents.MANUAL_APPROVAL_NEEDED,
                codepipeline.PipelineNotificationEvents.MANUAL_APPROVAL_FAILED,
                codepipeline.PipelineNotificationEvents.MANUAL_APPROVAL_SUCCEEDED,
            ],
        )

    def _name_roles_other_accounts_admit(self, names: frozenset[str]) -> None:
        """Give the image steps' roles that a repository in another account admits their fixed names.

        That repository's policy names each role by ARN (config/image_access.py), and CloudFormation's
        generated names are unknown at synth. Set on the role CDK Pipelines creates, so that construct
        paths, and with them acknowledgements and parliament exceptions, stay the same in every setup.
        """
        steps = {PUBLISH_ROLE_NAME: self.image}
        steps |= {release_role_name(env): step for env, step in self.release_steps.items()}
        unknown = names - set(steps)
        if unknown:
            raise ValueError(f"no image step owns the role(s) {sorted(unknown)} that repository policies admit")
        for name in sorted(names):
            role = steps[name].project.role
            cfn_role = role.node.default_child if role is not None else None
            if not isinstance(cfn_role, iam.CfnRole):
                raise ValueError(f"the {name} step's project has no role of its own to name")
            cfn_role.role_name = name

    def _harden_security_check_project(self, log_group: logs.ILogGroup) -> None:
        """aws-cdk-lib's broadening-check project installs an unversioned `aws-cdk` and logs to a default,
        unencrypted, never-expiring log group; neither is a prop, so both are overridden on the resource."""
        check = self.pipeline.node.try_find_child("PipelinesSecurityCheck")
        if check is None:
            return  # no enterprise environment: no broadening check
        project = check.node.find_child("CDKSecurityCheck")
        if not isinstance(project, codebuild.Project):
            raise TypeError(f"aws-cdk-lib's broadening check is no longer a codebuild.Project: {type(project)}")
        cfn = project.node.default_child
        if not isinstance(cfn, codebuild.CfnProject):
            raise TypeError(f"aws-cdk-lib's broadening check has no CfnProject resource: {type(cfn)}")
        stack = cdk.Stack.of(self)
        source = stack.resolve(cfn.source)
        unpinned = '"npm install -g aws-cdk"'
        pinned = f'"npm install -g aws-cdk@{CDK_CLI_VERSION}"'
        parts = source["buildSpec"]["Fn::Join"][1]
        if sum(unpinned in part for part in parts if isinstance(part, str)) != 1:
            raise ValueError("aws-cdk-lib's security check buildspec changed: review the aws-cdk install pin")
        source["buildSpec"]["Fn::Join"][1] = [
            part.replace(unpinned, pinned) if isinstance(part, str) else part for part in parts
        ]
        cfn.add_property_override("Source.BuildSpec", source["buildSpec"])
        cfn.add_property_override(
            "LogsConfig", {"CloudWatchLogs": {"Status": "ENABLED", "GroupName": log_group.log_group_name}}
        )
        if project.role is not None:
            log_group.grant_write(project.role)

    def _source(self, delivery: DeliveryConfig, repository: str, branch: str) -> pipelines.CodePipelineSource:
        if delivery.source is SourceKind.S3:
            if delivery.source_bucket is None or delivery.source_object_key is None:
                raise ValueError("source = 's3' needs source_bucket and source_object_key in delivery.toml")
            bucket = s3.Bucket.from_bucket_name(self, "SourceBucket", delivery.source_bucket)
            return pipelines.CodePipelineSource.s3(
                bucket, delivery.source_object_key, trigger=actions.S3Trigger.EVENTS, action_name="Source"
            )
        if not delivery.connection_arn:
            raise ValueError("source = 'connection' needs connection_arn in delivery.toml")
        return pipelines.CodePipelineSource.connection(
            repository,
            branch,
            connection_arn=delivery.connection_arn,
            # A full clone, not a zip: gitleaks reads the whole history.
            code_build_clone_output=True,
        )

    def _trigger_on_mapped_branches(self, delivery: DeliveryConfig, environments: Sequence[EnvironmentConfig]) -> None:
        if delivery.source is not SourceKind.CONNECTION:
            return
        source_action = self.pipeline.pipeline.stages[0].actions[0]
        self.pipeline.pipeline.add_trigger(
            provider_type=codepipeline.ProviderType.CODE_STAR_SOURCE_CONNECTION,
            git_configuration=codepipeline.GitConfiguration(
                source_action=source_action,
                push_filter=[codepipeline.GitPushFilter(branches_includes=[env.branch for env in environments])],
            ),
        )

    def _release_step(
        self,
        stack: cdk.Stack,
        delivery: DeliveryConfig,
        env: EnvironmentConfig,
        previous: EnvironmentConfig | None,
        signing_profile: signer.ISigningProfile,
    ) -> pipelines.CodeBuildStep:
        tools = load_tools()
        variables = {
            "TARGET_ENV": env.name,
            "TARGET_REGISTRY": _registry(stack, env),
            "REPOSITORY": _repository_name(delivery, env),
            "RELEASE_VERSION": delivery.release_version,
            "SIGNING_PROFILE_ARN": signing_profile.signing_profile_arn,
        }
        statements = [
            *_ecr_push(stack, env, delivery),
            iam.PolicyStatement(
                sid="SignWithTheImageProfile",
                actions=["signer:SignPayload", "signer:GetSigningProfile"],
                resources=[signing_profile.signing_profile_arn],
            ),
            iam.PolicyStatement(
                sid="CheckRevocationOfSignatures",
                # Revocation status is checked per signature job and certificate: no resource-level form exists.
                actions=["signer:GetRevocationStatus"],
                resources=["*"],
            ),
        ]
        if previous is not None:
            variables |= {
                "SOURCE_REGISTRY": _registry(stack, previous),
                "SOURCE_REPOSITORY": _repository_name(delivery, previous),
            }
            statements.append(_ecr_pull(stack, previous, delivery))
        return pipelines.CodeBuildStep(
            "ReleaseImage",
            input=self.source,
            additional_inputs={"scan-results": self.results},
            install_commands=install_commands(
                tools, ("oras", "notation", "aws-signer-notation-plugin", "aws-signer-root-certificate")
            ),
            commands=["scripts/image-release.sh promote scan-results"],
            env=variables,
            role_policy_statements=statements,
        )


def _command(*words: str) -> str:
    return " ".join(shlex.quote(word) for word in words)


def _account(stack: cdk.Stack, env: EnvironmentConfig) -> str:
    return env.account or stack.account


def _registry(stack: cdk.Stack, env: EnvironmentConfig) -> str:
    return f"{_account(stack, env)}.dkr.ecr.{env.region}.{stack.url_suffix}"


def _repository_name(delivery: DeliveryConfig, env: EnvironmentConfig) -> str:
    # The Data stack of each environment owns the repository, named by the same function.
    return image_repository_name(env, delivery.image_repository)


def _repository_arn(stack: cdk.Stack, env: EnvironmentConfig, delivery: DeliveryConfig) -> str:
    return stack.format_arn(
        service="ecr",
        account=_account(stack, env),
        region=env.region,
        resource="repository",
        resource_name=_repository_name(delivery, env),
    )


def _ecr_push(stack: cdk.Stack, env: EnvironmentConfig, delivery: DeliveryConfig) -> list[iam.PolicyStatement]:
    return [
        iam.PolicyStatement(
            sid="RegistryLogin",
            # An authorization token is per registry, not per repository: no resource-level form exists.
            actions=["ecr:GetAuthorizationToken"],
            resources=["*"],
        ),
        iam.PolicyStatement(
            sid="PushToTheEnvironmentRepository",
            actions=[
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:CompleteLayerUpload",
                "ecr:DescribeImages",
                "ecr:GetDownloadUrlForLayer",
                "ecr:InitiateLayerUpload",
                "ecr:PutImage",
                "ecr:UploadLayerPart",
            ],
            resources=[_repository_arn(stack, env, delivery)],
        ),
    ]


def _ecr_pull(stack: cdk.Stack, env: EnvironmentConfig, delivery: DeliveryConfig) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="PullFromThePreviousEnvironment",
        actions=[
            "ecr:BatchCheckLayerAvailability",
            "ecr:BatchGetImage",
            "ecr:DescribeImages",
            "ecr:GetDownloadUrlForLayer",
        ],
        resources=[_repository_arn(stack, env, delivery)],
    )


def _import_findings(stack: cdk.Stack) -> list[iam.PolicyStatement]:
    return [
        iam.PolicyStatement(
            sid="ImportFindingsIntoTheDefaultProduct",
            actions=["securityhub:BatchImportFindings"],
            resources=[
                stack.format_arn(service="securityhub", resource="product", resource_name=f"{stack.account}/default")
            ],
        ),
        iam.PolicyStatement(
            sid="ReadFindingsOfThisAccount",
            actions=["securityhub:GetFindings"],
            resources=[stack.format_arn(service="securityhub", resource="hub", resource_name="default")],
        ),
    ]
