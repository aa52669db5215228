"""Operator tools that read the synthesized app: the architecture diagram and the cost estimate."""
