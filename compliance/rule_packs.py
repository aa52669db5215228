"""The cdk-nag rule packs every synth must pass, registered once on the app."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks

# Pack names as the validation report prints them; acknowledgement ids start with one of these.
PACK_NAMES = ("AwsSolutions", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321", "Serverless")


def register_rule_packs(app: cdk.App) -> None:
    validations = cdk.Validations.of(app)
    for pack in (AwsSolutionsChecks, NIST80053R5Checks, HIPAASecurityChecks, PCIDSS321Checks, ServerlessChecks):
        validations.add_plugins(pack(app, verbose=True))
