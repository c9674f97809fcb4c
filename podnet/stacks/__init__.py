"""The CloudFormation stacks: network first, then the cluster with its nodes and Kubernetes objects."""
