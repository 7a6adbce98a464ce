"""Settlement reports in S3: write one object per (merchant, day), check it, presign a GET.

The boto3 client is created once per process, on first use, and shared by every invocation
(boto3 clients are thread-safe; calls run in a worker thread so the event loop never blocks).
In dev mode the instance-metadata credential lookup is skipped, so a laptop without AWS
credentials gets a quick 503 naming s3 instead of a probe of the metadata address.

boto3 is imported on first use, not with this module: every function imports the composition
root, and only the settlement report needs S3 (boto3 + botocore cost ~0.5 s of cold start).
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any

from shared.config import get_settings
from shared.domain.errors import DependencyUnavailable
from shared.domain.settlement import PRESIGNED_URL_TTL_S

CONNECT_TIMEOUT_S = 2
READ_TIMEOUT_S = 10
MAX_ATTEMPTS = 3
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
# Credential providers that call the EC2/ECS metadata endpoints.
METADATA_PROVIDERS = ("iam-role", "container-role")


@lru_cache(maxsize=1)
def s3_client(skip_metadata_credentials: bool = False) -> Any:
    """The process's S3 client (SigV4, short timeouts); DependencyUnavailable without creds."""
    import boto3
    import botocore.session
    from botocore.config import Config

    core = botocore.session.get_session()
    if skip_metadata_credentials:
        resolver = core.get_component("credential_provider")
        for name in METADATA_PROVIDERS:
            resolver.remove(name)  # a no-op when the provider is absent
    session = boto3.session.Session(botocore_session=core)
    if session.get_credentials() is None:
        raise DependencyUnavailable("s3", "no AWS credentials are configured")
    config = Config(
        signature_version="s3v4",
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
    )
    return session.client("s3", config=config)


class SettlementStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    async def put_csv(self, key: str, body: str) -> None:
        """Write (or overwrite) the object at `key`."""
        await self._call(
            self.client.put_object,
            Bucket=self.bucket,
            Key=key,
            Body=body.encode(),
            ContentType=CSV_CONTENT_TYPE,
        )

    async def exists(self, key: str) -> bool:
        try:
            await self._call(self.client.head_object, Bucket=self.bucket, Key=key)
        except _Missing:
            return False
        return True

    async def read(self, key: str) -> str | None:
        """The object's text, or None when there is no object at `key`."""
        try:
            response = await self._call(self.client.get_object, Bucket=self.bucket, Key=key)
        except _Missing:
            return None
        body: bytes = await asyncio.to_thread(response["Body"].read)
        return body.decode()

    def presigned_get(self, key: str, expires_s: int = PRESIGNED_URL_TTL_S) -> str:
        """A GET URL for `key`, valid `expires_s` seconds (signed locally, no request)."""
        from botocore.exceptions import BotoCoreError

        try:
            url: str = self.client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": key},
                ExpiresIn=expires_s,
            )
        except BotoCoreError as exc:
            raise DependencyUnavailable("s3", type(exc).__name__) from exc
        return url

    async def _call(self, method: Any, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return await asyncio.to_thread(method, **kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in MISSING_CODES:
                raise _Missing(kwargs.get("Key", "")) from exc
            raise DependencyUnavailable("s3", code or "ClientError") from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable("s3", type(exc).__name__) from exc


class _Missing(Exception):
    """No object at that key."""


def default_store() -> SettlementStore:
    """The store for this process's settings (its client is made once, lazily)."""
    settings = get_settings()
    return SettlementStore(s3_client(settings.is_dev), settings.settlement_bucket)
