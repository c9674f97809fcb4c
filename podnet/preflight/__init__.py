"""``podnet preflight``: read-only checks of the rules that depend on the AWS account, before a deploy.

``checks`` holds pure functions over the shapes the EC2/Service Quotas APIs answer with; ``account`` reads
those answers with boto3 (imported only when the command runs); ``command`` is the CLI subcommand. Nothing here
imports aws-cdk-lib, so the command answers in seconds.
"""
