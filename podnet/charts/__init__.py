"""cdk8s charts: the Kubernetes objects custom networking needs, rendered into the CloudFormation template."""
