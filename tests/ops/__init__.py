"""Operator tools: the generated diagram, the cost estimate, the runbook."""
