"""Secrets from AWS SSM Parameter Store, read once per cold start when PAYGATE_SECRETS=ssm.

Parameter names under the prefix map to settings fields: `/paygate/mongodb_uri`,
`/paygate/qstash_token`, `/paygate/card_fingerprint_key`, … (the field name, lower case).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.config import SecretsLocation

SECRET_FIELDS = (
    "mongodb_uri",
    "upstash_redis_rest_url",
    "upstash_redis_rest_token",
    "qstash_url",
    "qstash_token",
    "qstash_current_signing_key",
    "qstash_next_signing_key",
    "card_fingerprint_key",
)


def load_secret_overrides(settings: SecretsLocation, ssm_client: Any = None) -> dict[str, str]:
    """Settings values found in SSM, or nothing when secrets come from the environment."""
    if settings.secrets_source != "ssm":
        return {}
    if ssm_client is None:
        import boto3

        ssm_client = boto3.client("ssm")
    prefix = settings.ssm_prefix if settings.ssm_prefix.endswith("/") else settings.ssm_prefix + "/"
    found: dict[str, str] = {}
    paginator = ssm_client.get_paginator("get_parameters_by_path")
    for page in paginator.paginate(Path=prefix, WithDecryption=True, Recursive=False):
        for parameter in page["Parameters"]:
            field = parameter["Name"][len(prefix) :].lower()
            if field in SECRET_FIELDS:
                found[field] = parameter["Value"]
    return found
