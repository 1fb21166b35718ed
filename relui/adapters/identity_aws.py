"""The ``aws`` Identity: STS ``GetCallerIdentity`` through the environment's ``[aws]`` session.

The verified principal is the caller's ARN as STS returns it. For an assumed
role (and an IAM Identity Center user, whose role is ``AWSReservedSSO_*``) that
is ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``: the role session name
stays in it, so two people assuming one role are two principals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relui.adapters.aws_session import _AwsPort, aws_errors, aws_session
from relui.config import AwsConfig
from relui.domain import Principal

if TYPE_CHECKING:
    from mypy_boto3_sts import STSClient


class AwsIdentity(_AwsPort):
    """The ``Identity`` port over STS."""

    @classmethod
    def of(cls, aws: AwsConfig) -> AwsIdentity:
        """An identity over the environment's own session (profile, region, endpoint)."""
        return cls(aws, aws_session(aws))

    def whoami(self) -> Principal:
        """Ask STS who the credentials belong to; verified by AWS."""
        subject = f"AWS identity in {self.aws.region}"
        with aws_errors(self.aws, subject, "check the credentials"):
            sts: STSClient = self._client("sts")
            answer = sts.get_caller_identity()
        arn = str(answer.get("Arn", ""))
        account = str(answer.get("Account", "?"))
        return Principal(arn, arn, (), True, f"aws sts GetCallerIdentity (account {account})", kind="aws")
