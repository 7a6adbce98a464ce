"""PAYGATE_SECRETS=ssm: settings come from SSM Parameter Store once per cold start (moto)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pydantic import ValidationError

from shared.adapters.secrets import SECRET_FIELDS
from shared.config import DEV_SECRETS, Settings, get_settings
from tests.deploy import serverless_config as sls
from tests.deploy.conftest import AWS_REGION
from tests.lambda_runtime import http_event, invoke_http

# Production-looking values for every secret, as an operator would store them.
PRODUCTION_SECRETS = {
    "mongodb_uri": "mongodb+srv://paygate:s3cret@cluster0.example.mongodb.net",
    "upstash_redis_rest_url": "https://eu1-fancy-cat-12345.upstash.io",
    "upstash_redis_rest_token": "AXXXprodUpstashToken",
    "qstash_url": "https://qstash.upstash.io",
    "qstash_token": "eyJVc2VySUQiOiJwcm9kIn0=",
    "qstash_current_signing_key": "sig_prodCurrentKey0000000000000",
    "qstash_next_signing_key": "sig_prodNextKey000000000000000",
    "card_fingerprint_key": "prod-card-fingerprint-hmac-key-0123456789abcdef",
}
# Everything paygate reads from its environment that a deploy must set.
CONFIG_PREFIXES = ("PAYGATE_", "MONGODB_", "UPSTASH_", "QSTASH_")


def _alias(field: str) -> str:
    alias = Settings.model_fields[field].validation_alias
    return str(alias.choices[0]) if alias is not None and hasattr(alias, "choices") else field


def production_required_fields() -> set[str]:
    """Fields whose default only works on a laptop: dev secrets or local addresses."""
    required = {"settlement_bucket"}
    for name, info in Settings.model_fields.items():
        if name.startswith("demo_"):
            continue  # only used to seed the demo merchant, which production never does
        default = info.default
        values = default if isinstance(default, list) else [default]
        dev_only = DEV_SECRETS - {""}
        if any(isinstance(v, str) and (v in dev_only or "127.0.0.1" in v) for v in values):
            required.add(name)
    return required


@pytest.fixture
def clean_env(fresh_settings: None, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No paygate or AWS configuration inherited from the test process."""
    for key in list(os.environ):
        if key.startswith(CONFIG_PREFIXES) or key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", AWS_REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


@pytest.fixture
def ssm(clean_env: pytest.MonkeyPatch) -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("ssm", region_name=AWS_REGION)


def put_parameters(ssm: Any, prefix: str, values: dict[str, str]) -> None:
    for name, value in values.items():
        kind = "String" if name.endswith("_url") else "SecureString"
        ssm.put_parameter(Name=prefix + name, Value=value, Type=kind, Overwrite=True)


def test_required_fields_are_the_expected_ones() -> None:
    assert production_required_fields() == {
        *SECRET_FIELDS,
        "public_url",
        "cors_origins",
        "settlement_bucket",
    }


@pytest.mark.parametrize("function", sorted(sls.functions()))
def test_serverless_environment_plus_ssm_gives_valid_production_settings(
    function: str, ssm: Any, clean_env: pytest.MonkeyPatch
) -> None:
    env = sls.environment(function)
    assert env["PAYGATE_ENV"] == "production"
    assert env["PAYGATE_SECRETS"] == "ssm"
    put_parameters(ssm, env["PAYGATE_SSM_PREFIX"], PRODUCTION_SECRETS)
    for key, value in env.items():
        clean_env.setenv(key, value)

    settings = get_settings()

    assert settings.env == "production" and not settings.seed_demo
    defaults = {name: info.get_default() for name, info in Settings.model_fields.items()}
    for field in production_required_fields():
        provided = field in SECRET_FIELDS or _alias(field) in env
        assert provided, f"{function}: nothing provides {_alias(field)}"
        assert getattr(settings, field) != defaults[field], field
    for field, value in PRODUCTION_SECRETS.items():
        assert getattr(settings, field) == value
    assert settings.public_url == sls.API_ENDPOINT
    assert settings.cors_origins == ["https://dashboard.example.com"]


def test_production_without_the_ssm_parameters_refuses_to_start(
    ssm: Any, clean_env: pytest.MonkeyPatch
) -> None:
    for key, value in sls.environment("create_payment").items():
        clean_env.setenv(key, value)
    with pytest.raises(ValidationError, match="must be set to a real secret"):
        get_settings()


def test_production_refuses_a_short_card_fingerprint_key(
    ssm: Any, clean_env: pytest.MonkeyPatch
) -> None:
    env = sls.environment("create_payment")
    put_parameters(
        ssm, env["PAYGATE_SSM_PREFIX"], {**PRODUCTION_SECRETS, "card_fingerprint_key": "short"}
    )
    for key, value in env.items():
        clean_env.setenv(key, value)
    with pytest.raises(ValidationError, match="PAYGATE_CARD_FINGERPRINT_KEY must be at least"):
        get_settings()


def test_parameters_are_read_once_per_cold_start(ssm: Any, clean_env: pytest.MonkeyPatch) -> None:
    prefix = "/paygate/prod/"
    put_parameters(ssm, prefix, PRODUCTION_SECRETS)
    clean_env.setenv("PAYGATE_SECRETS", "ssm")
    clean_env.setenv("PAYGATE_SSM_PREFIX", prefix)
    calls: list[str] = []
    real_client = boto3.client

    def counting_client(service: str, *args: Any, **kwargs: Any) -> Any:
        client = real_client(service, *args, **kwargs)
        client.meta.events.register(
            "before-call.ssm.GetParametersByPath", lambda **_: calls.append(service)
        )
        return client

    clean_env.setattr(boto3, "client", counting_client)
    first = get_settings()
    for _ in range(5):
        assert get_settings() is first
    assert calls == ["ssm"]
    assert first.qstash_token == PRODUCTION_SECRETS["qstash_token"]

    get_settings.cache_clear()  # the next cold start reads them again
    get_settings()
    assert calls == ["ssm", "ssm"]


def test_a_cold_start_reaches_the_services_named_in_ssm(
    local_env: Any, ssm: Any, clean_env: pytest.MonkeyPatch
) -> None:
    """The environment names no service; /healthz is green only if SSM's values were used."""
    stack = local_env
    put_parameters(
        ssm,
        "/paygate/test/",
        {
            "mongodb_uri": stack.mongodb_uri,
            "upstash_redis_rest_url": stack.upstash_url,
            "upstash_redis_rest_token": stack.upstash_token,
            "qstash_url": stack.qstash_url,
            "qstash_token": stack.qstash_token,
            "qstash_current_signing_key": stack.qstash_current_signing_key,
            "qstash_next_signing_key": stack.qstash_next_signing_key,
            "card_fingerprint_key": "test-card-fingerprint-hmac-key-0123456789",
        },
    )
    clean_env.setenv("PAYGATE_ENV", "test")
    clean_env.setenv("PAYGATE_SECRETS", "ssm")
    clean_env.setenv("PAYGATE_SSM_PREFIX", "/paygate/test/")
    clean_env.setenv("MONGODB_URI", "mongodb://127.0.0.1:9")  # overridden by SSM
    from functions.payments_api.app import handler

    response = invoke_http(handler, http_event("GET", "/healthz"))

    assert response.status_code == 200, response.body
    assert response.json()["dependencies"] == {"mongo": "ok", "redis": "ok", "qstash": "ok"}
    assert get_settings().mongodb_uri == stack.mongodb_uri
    assert get_settings().card_fingerprint_key == "test-card-fingerprint-hmac-key-0123456789"
