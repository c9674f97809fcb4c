"""A customer-managed KMS key for the CloudWatch Logs log groups of one stack (flow logs, the kubectl handler's logs,
the custom-networking check's build logs), so they are encrypted at rest with a key podnet manages and rotates."""

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

CONSTRUCT_ID = "LogEncryptionKey"
#: What CloudWatch Logs does with the key of an encrypted log group (AWS's documented key policy for Logs).
LOGS_KEY_ACTIONS = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*")


class LogEncryptionKey(Construct):
    """One rotating key per stack; its policy lets this region's CloudWatch Logs use it for this account's log groups
    only (the ``kms:EncryptionContext:aws:logs:arn`` CloudWatch Logs sends names the log group)."""

    @classmethod
    def of(cls, scope: IConstruct) -> "LogEncryptionKey":
        """The key of ``scope``'s stack, created on first use: every construct of a stack shares it."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(CONSTRUCT_ID)
        if isinstance(existing, LogEncryptionKey):
            return existing
        return cls(stack, CONSTRUCT_ID)

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.key = kms.Key(
            self,
            "Key",
            enable_key_rotation=True,
            description=f"podnet: CloudWatch Logs log groups of {stack.stack_name}",
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=list(LOGS_KEY_ACTIONS),
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{Aws.PARTITION}:logs:{stack.region}:{Aws.ACCOUNT_ID}:log-group:*"
                        )
                    }
                },
            )
        )

    def encrypt_log_groups(self, scope: IConstruct) -> None:
        """Encrypt every log group under ``scope``, including those aws-cdk-lib creates without a key option (the
        kubectl provider's Lambda log groups): their L1 ``KmsKeyId`` is set directly."""
        log_groups = [node for node in scope.node.find_all() if isinstance(node, logs.CfnLogGroup)]
        if not log_groups:
            raise LookupError(f"{scope.node.path} holds no log group to encrypt")
        for log_group in log_groups:
            log_group.kms_key_id = self.key.key_arn
