"""Compliance gate: the cdk-nag rule packs and the one reviewable list of acknowledged findings."""
