"""podnet: EKS clusters whose pods draw their IPs from a secondary VPC CIDR.

The package is split by layer: ``config`` (settings and validation) -> ``ipplan`` (CIDR carving and max pods,
pure Python so the CLI stays fast) -> ``stacks`` / ``constructs`` / ``charts`` (the CDK app).
"""
