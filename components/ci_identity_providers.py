"""The account's OIDC identity providers for CI: GitHub Actions always, GitLab when configured.

Deploy roles (one per environment, built by the delivery tier) trust these providers; an account
holds each issuer only once, which is why they live in the account baseline.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from constructs import Construct

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
# The audience every CI token must carry to be exchanged by STS (a one-character typo breaks every deploy).
STS_AUDIENCE = "sts.amazonaws.com"


class CiIdentityProviders(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, gitlab_url: str | None) -> None:
        super().__init__(scope, construct_id)
        # The native CloudFormation resource, not the CDK's custom-resource provider: no Lambda
        # function to run, and IAM verifies these issuers' certificates itself (no thumbprint to pin).
        self.github = iam.OidcProviderNative(self, "GitHub", url=GITHUB_ISSUER, client_ids=[STS_AUDIENCE])
        # GitLab jobs request this audience explicitly (`id_tokens: <name>: aud: sts.amazonaws.com`).
        self.gitlab = (
            iam.OidcProviderNative(self, "GitLab", url=gitlab_url, client_ids=[STS_AUDIENCE])
            if gitlab_url is not None
            else None
        )
