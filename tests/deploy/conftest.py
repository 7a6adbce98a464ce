"""Deploy tests: this process's settings aimed at the session's local services, plus moto.

`local_env` gives this process the environment the functions host runs with (same database,
same public URL), so a handler invoked here and the host over HTTP answer alike. `aws` is
moto's in-process AWS with fake credentials and an empty settlement bucket.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pymongo import MongoClient

from devstack.processes import ManagedProcess
from devstack.stack import StackConfig
from shared.adapters.settlement_store import s3_client
from shared.config import get_settings
from shared.web import bootstrap
from tests.lambda_runtime import close_runtime_clients

AWS_REGION = "eu-west-1"
AWS_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
)


def reset_process_state() -> None:
    """Forget cached settings, clients and the S3 client, as a new cold start would."""
    close_runtime_clients()
    get_settings.cache_clear()
    bootstrap._clients.clear()
    bootstrap._ready_locks.clear()
    s3_client.cache_clear()


def _swap_environ(values: dict[str, str], remove: tuple[str, ...] = ()) -> dict[str, str | None]:
    saved = {key: os.environ.get(key) for key in (*values, *remove)}
    for key in remove:
        os.environ.pop(key, None)
    os.environ.update(values)
    return saved


def _restore_environ(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="package")
def local_env(stack_cfg: StackConfig, functions_service: ManagedProcess) -> Iterator[StackConfig]:
    """The functions host's environment in this process (no AWS credentials, no IMDS)."""
    values = {
        **stack_cfg.app_env(),
        "AWS_DEFAULT_REGION": AWS_REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_CONFIG_FILE": os.devnull,
    }
    saved = _swap_environ(values, remove=AWS_VARIABLES)
    reset_process_state()
    yield stack_cfg
    _restore_environ(saved)
    reset_process_state()


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """Settings read anew at the start of the test and again after it (env changes inside)."""
    reset_process_state()
    yield
    reset_process_state()


@pytest.fixture
def aws(local_env: StackConfig) -> Iterator[Any]:
    """moto's AWS (fake credentials) with the settlement bucket; yields an S3 client."""
    with mock_aws():
        s3_client.cache_clear()
        client = boto3.client("s3", region_name=AWS_REGION)
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
            client.create_bucket(
                Bucket=get_settings().settlement_bucket,
                CreateBucketConfiguration={"LocationConstraint": AWS_REGION},
            )
        yield client
    s3_client.cache_clear()


@pytest.fixture(scope="package")
def mongo_db(local_env: StackConfig) -> Iterator[Any]:
    """The database the functions host uses (sync pymongo, tz-aware)."""
    client: MongoClient[dict[str, Any]] = MongoClient(local_env.mongodb_uri, tz_aware=True)
    yield client[get_settings().mongodb_db]
    client.close()


@dataclass(frozen=True)
class DeployMerchant:
    id: str
    api_key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


def add_merchant(db: Any, name: str) -> DeployMerchant:
    suffix = uuid.uuid4().hex[:12]
    merchant = DeployMerchant(f"mer_{name}_{suffix}", f"sk_test_{name}_{suffix}")
    db["merchants"].insert_one(
        {
            "_id": merchant.id,
            "name": name,
            "api_key_hash": hashlib.sha256(merchant.api_key.encode()).hexdigest(),
        }
    )
    return merchant


@pytest.fixture(scope="package")
def merchant(mongo_db: Any) -> DeployMerchant:
    return add_merchant(mongo_db, "deploy")
