"""IP capacity: ENI limits, max pods, CIDR carving. Pure Python (no aws-cdk-lib), so the CLI is fast."""
