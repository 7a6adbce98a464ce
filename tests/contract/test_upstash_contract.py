"""The Upstash REST bridge against the official SDKs, redis-py and raw HTTP.

Each SDK scenario runs twice, on the bridge through `upstash_redis` (sync and async clients,
unmodified) and on Redis directly through redis-py, and the answers must match. Raw httpx
tests pin the wire format of reference section A; a private Redis + bridge pair covers
timeouts and Redis going away.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import inspect
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
import redis.asyncio as redis_asyncio
import upstash_redis
import upstash_redis.asyncio
from redis.exceptions import ResponseError
from upstash_ratelimit.asyncio import FixedWindow, Ratelimit, SlidingWindow
from upstash_redis.errors import UpstashError

from devstack.processes import ManagedProcess
from devstack.stack import StackConfig, redis_process, upstash_process
from shared.adapters.upstash import RequestCounter

LOCK_RELEASE = (
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) else return 0 end"
)
UNAUTHORIZED = "WRONGPASS invalid or missing auth token"


# --- clients ------------------------------------------------------------------------------


async def _resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class Bridge:
    """An official Upstash client (sync or async) behind one awaitable interface."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await _resolve(method(*args, **kwargs))

        return call

    async def run_batch(self, transaction: bool, build: Any) -> list[Any]:
        batch = self.client.multi() if transaction else self.client.pipeline()
        build(batch)
        return await _resolve(batch.exec())


class Direct:
    """redis-py on Redis itself, with the Upstash SDK's spelling of EVAL/EVALSHA."""

    def __init__(self, client: redis_asyncio.Redis) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    async def eval(self, script: str, keys: list[str], args: list[str]) -> Any:
        return await self.client.eval(script, len(keys), *keys, *args)

    async def evalsha(self, sha: str, keys: list[str], args: list[str]) -> Any:
        return await self.client.evalsha(sha, len(keys), *keys, *args)

    async def execute(self, command: list[Any]) -> Any:
        return await self.client.execute_command(*command)

    async def run_batch(self, transaction: bool, build: Any) -> list[Any]:
        async with self.client.pipeline(transaction=transaction) as batch:
            build(batch)
            results = await batch.execute(raise_on_error=False)
        for result in results:  # like the SDK: the first inline error raises
            if isinstance(result, ResponseError):
                raise result
        return results


def redis_text(err: ResponseError) -> str:
    """Redis' own error text: redis-py strips a known prefix such as `ERR ` into status_code."""
    return f"{err.status_code} {err}" if err.status_code else str(err)


@pytest.fixture(scope="module")
def bridge_url(upstash_service: ManagedProcess, stack_cfg: StackConfig) -> str:
    return stack_cfg.upstash_url


@pytest.fixture(scope="module")
async def direct(redis_service: ManagedProcess, stack_cfg: StackConfig) -> AsyncIterator[Direct]:
    client = redis_asyncio.Redis.from_url(f"{stack_cfg.redis_url}/0", decode_responses=True)
    yield Direct(client)
    await client.aclose()


@pytest.fixture(scope="module", params=["sync", "async"])
async def bridge(
    request: pytest.FixtureRequest, bridge_url: str, stack_cfg: StackConfig
) -> AsyncIterator[Bridge]:
    options = {"rest_retries": 0, "rest_retry_interval": 0.05}
    if request.param == "sync":
        client = upstash_redis.Redis(bridge_url, stack_cfg.upstash_token, **options)
        yield Bridge(client)
        client.close()
    else:
        aclient = upstash_redis.asyncio.Redis(bridge_url, stack_cfg.upstash_token, **options)
        yield Bridge(aclient)
        await aclient.close()


@pytest.fixture
def keys() -> tuple[str, str]:
    """Two fresh key prefixes: one for the bridge run, one for the direct run."""
    run = uuid4().hex
    return f"contract:{run}:bridge", f"contract:{run}:direct"


async def both(bridge: Bridge, direct: Direct, keys: tuple[str, str], scenario: Any) -> Any:
    on_bridge = await scenario(bridge, keys[0])
    on_redis = await scenario(direct, keys[1])
    assert on_bridge == on_redis
    return on_bridge


# --- SDK scenarios: the bridge answers as Redis does ---------------------------------------


async def test_lock_acquire_and_compare_and_delete_release(
    bridge: Bridge, direct: Direct, keys: tuple[str, str]
) -> None:
    async def scenario(r: Any, k: str) -> list[Any]:
        lock = f"{k}:lock"
        return [
            await r.set(lock, "owner-a", nx=True, px=5000),
            bool(await r.set(lock, "owner-b", nx=True, px=5000)),  # SDK False, redis-py None
            await r.get(lock),
            0 < await r.pttl(lock) <= 5000,
            await r.eval(LOCK_RELEASE, [lock], ["owner-b"]),
            await r.get(lock),
            await r.eval(LOCK_RELEASE, [lock], ["owner-a"]),
            await r.get(lock),
            await r.set(lock, "owner-b", nx=True, px=5000),
            await r.delete(lock, f"{k}:absent"),
        ]

    assert await both(bridge, direct, keys, scenario) == [
        True, False, "owner-a", True, 0, "owner-a", 1, None, True, 1,
    ]  # fmt: skip


async def test_counters_and_expiry(bridge: Bridge, direct: Direct, keys: tuple[str, str]) -> None:
    async def scenario(r: Any, k: str) -> list[Any]:
        counter = f"{k}:n"
        return [
            await r.incr(counter),
            await r.incr(counter),
            await r.pttl(counter),
            await r.expire(counter, 30),
            29_000 < await r.pttl(counter) <= 30_000,
            await r.expire(f"{k}:absent", 30),
            await r.pttl(f"{k}:absent"),
            await r.set(f"{k}:ex", 7, ex=100),
            await r.get(f"{k}:ex"),
        ]

    assert await both(bridge, direct, keys, scenario) == [
        1,
        2,
        -1,
        True,
        True,
        False,
        -2,
        True,
        "7",
    ]


async def test_script_load_and_evalsha(
    bridge: Bridge, direct: Direct, keys: tuple[str, str]
) -> None:
    async def scenario(r: Any, k: str) -> list[Any]:
        sha = await r.script_load(LOCK_RELEASE)
        await r.set(f"{k}:lock", "me", px=5000)
        return [
            sha,
            await r.evalsha(sha, [f"{k}:lock"], ["not-me"]),
            await r.evalsha(sha, [f"{k}:lock"], ["me"]),
            await r.exists(f"{k}:lock"),
            await r.eval("return {1, 'two', {3, KEYS[1]}}", ["x"], []),
        ]

    result = await both(bridge, direct, keys, scenario)
    assert len(result[0]) == 40
    assert result[1:] == [0, 1, 0, [1, "two", [3, "x"]]]


async def test_upstash_script_shebang(bridge: Bridge, keys: tuple[str, str]) -> None:
    """Upstash takes `#!lua flags=...` (upstash-ratelimit sends it); stock Redis does not."""
    script = "#!lua flags=allow-key-locking\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])"
    k = keys[0]
    assert await bridge.eval(script, keys=[k], args=["2"]) == 2
    sha = await bridge.script_load(script)
    assert sha == hashlib.sha1(script.encode()).hexdigest()
    assert await bridge.evalsha(sha, keys=[k], args=["3"]) == 5
    assert await bridge.script_exists(sha, "0" * 40) == [True, False]
    with pytest.raises(UpstashError, match="user_script:2:"):  # line numbers are kept
        await bridge.eval("#!lua\nreturn +", keys=[], args=[])


async def test_hashes(bridge: Bridge, direct: Direct, keys: tuple[str, str]) -> None:
    async def scenario(r: Any, k: str) -> list[Any]:
        h = f"{k}:h"
        return [
            await r.hset(h, "status", "CREATED"),
            await r.hset(h, "status", "PROCESSING"),
            await r.hget(h, "status"),
            await r.hget(h, "absent"),
            await r.hincrby(h, "attempts", 1),
            await r.hincrby(h, "attempts", 2),
            await r.hgetall(h),
            await r.hgetall(f"{k}:absent"),
        ]

    assert await both(bridge, direct, keys, scenario) == [
        1, 0, "PROCESSING", None, 1, 3, {"status": "PROCESSING", "attempts": "3"}, {},
    ]  # fmt: skip


async def test_sorted_sets(bridge: Bridge, direct: Direct, keys: tuple[str, str]) -> None:
    async def scenario(r: Any, k: str) -> list[Any]:
        z = f"{k}:z"
        return [
            await r.zadd(z, {"a": 1.5, "b": 2, "c": 10}),
            await r.zrange(z, 0, -1),
            await r.zrange(z, 0, -1, withscores=True),
            await r.zscore(z, "a"),
            await r.zscore(z, "absent"),
            await r.zrangebyscore(z, 1, 5, withscores=True),
            await r.zrangebyscore(z, "(1.5", "+inf"),
            await r.zrem(z, "b", "absent"),
            await r.zcard(z),
        ]

    assert await both(bridge, direct, keys, scenario) == [
        3, ["a", "b", "c"], [("a", 1.5), ("b", 2.0), ("c", 10.0)], 1.5, None,
        [("a", 1.5), ("b", 2.0)], ["b", "c"], 1, 2,
    ]  # fmt: skip


async def test_pipeline(bridge: Bridge, direct: Direct, keys: tuple[str, str]) -> None:
    async def scenario(r: Any, k: str) -> list[Any]:
        def build(p: Any) -> None:
            p.set(f"{k}:a", "1")
            p.incr(f"{k}:a")
            p.get(f"{k}:a")
            p.hset(f"{k}:h", "f", "v")
            p.hgetall(f"{k}:h")
            p.zadd(f"{k}:z", {"m": 3})
            p.zscore(f"{k}:z", "m")

        return await r.run_batch(False, build)

    assert await both(bridge, direct, keys, scenario) == [True, 2, "2", 1, {"f": "v"}, 1, 3.0]


async def test_transaction(bridge: Bridge, direct: Direct, keys: tuple[str, str]) -> None:
    async def scenario(r: Any, k: str) -> list[Any]:
        def build(p: Any) -> None:
            p.incr(f"{k}:n")
            p.incr(f"{k}:n")
            p.set(f"{k}:s", "x", nx=True)
            p.get(f"{k}:s")

        return await r.run_batch(True, build)

    assert await both(bridge, direct, keys, scenario) == [1, 2, True, "x"]


async def test_transaction_runtime_error_keeps_other_commands(
    bridge: Bridge, direct: Direct, keys: tuple[str, str]
) -> None:
    async def scenario(r: Any, k: str) -> list[Any]:
        await r.set(f"{k}:s", "text")

        def build(p: Any) -> None:
            p.incr(f"{k}:n")
            p.hget(f"{k}:s", "f")  # WRONGTYPE at EXEC time
            p.incr(f"{k}:n")

        with pytest.raises((UpstashError, ResponseError)) as caught:
            await r.run_batch(True, build)
        err = caught.value
        text = redis_text(err) if isinstance(err, ResponseError) else str(err)
        return [text, await r.get(f"{k}:n")]

    assert await both(bridge, direct, keys, scenario) == [
        "WRONGTYPE Operation against a key holding the wrong kind of value",
        "2",
    ]


async def test_errors_carry_redis_message(
    bridge: Bridge, direct: Direct, keys: tuple[str, str]
) -> None:
    k_bridge, k_direct = keys
    await bridge.set(k_bridge, "text")
    await direct.set(k_direct, "text")
    cases = [
        (["FOOBAR", "x"], ["FOOBAR", "x"]),
        (["HGET", k_bridge, "f"], ["HGET", k_direct, "f"]),
        (["GET"], ["GET"]),
        (["INCR", k_bridge], ["INCR", k_direct]),
    ]
    for on_bridge, on_redis in cases:
        with pytest.raises(ResponseError) as expected:
            await direct.execute(on_redis)
        with pytest.raises(UpstashError) as got:
            await bridge.execute(on_bridge)
        assert str(got.value) == redis_text(expected.value)


async def test_wrong_token_is_rejected(bridge_url: str) -> None:
    for client in (
        upstash_redis.Redis(bridge_url, "wrong-token", rest_retries=0),
        upstash_redis.asyncio.Redis(bridge_url, "wrong-token", rest_retries=0),
    ):
        with pytest.raises(UpstashError, match=UNAUTHORIZED):
            await _resolve(client.get("anything"))
        await _resolve(client.close())


async def test_ratelimit_fixed_window(bridge_url: str, stack_cfg: StackConfig) -> None:
    client = upstash_redis.asyncio.Redis(bridge_url, stack_cfg.upstash_token, rest_retries=0)
    limiter = Ratelimit(client, FixedWindow(max_requests=3, window=30), prefix=uuid4().hex)
    allowed = [(await limiter.limit("merchant_1")).allowed for _ in range(5)]
    other = await limiter.limit("merchant_2")
    await client.close()
    assert allowed == [True, True, True, False, False]
    assert other.allowed and other.remaining == 2


async def test_ratelimit_sliding_window(bridge_url: str, stack_cfg: StackConfig) -> None:
    client = upstash_redis.asyncio.Redis(bridge_url, stack_cfg.upstash_token, rest_retries=0)
    limiter = Ratelimit(client, SlidingWindow(max_requests=4, window=30), prefix=uuid4().hex)
    responses = [await limiter.limit("merchant_1") for _ in range(6)]
    await client.close()
    assert [r.allowed for r in responses] == [True, True, True, True, False, False]
    assert [r.remaining for r in responses[:4]] == [3, 2, 1, 0]
    assert responses[-1].limit == 4 and responses[-1].reset > time.time()


async def test_request_counter_counts_per_key_and_expires(
    bridge_url: str, stack_cfg: StackConfig
) -> None:
    """paygate's RequestCounter (the simulator's n-th request with a key): one EVAL per call,
    counting from 1 per key, the time to live set by the call that created the key."""
    client = upstash_redis.asyncio.Redis(bridge_url, stack_cfg.upstash_token, rest_retries=0)
    counter = RequestCounter(client, timeout_s=5.0, prefix=f"test:{uuid4().hex}:")
    counts = [await counter.incr("k", ttl_s=100) for _ in range(3)]
    other = await counter.incr("other", ttl_s=100)
    ttl = await client.ttl(counter.prefix + "k")
    await client.close()
    assert counts == [1, 2, 3] and other == 1
    assert 0 < ttl <= 100


# --- the wire format over raw HTTP ---------------------------------------------------------


@pytest.fixture(scope="module")
async def http(bridge_url: str, stack_cfg: StackConfig) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {stack_cfg.upstash_token}"}
    async with httpx.AsyncClient(base_url=bridge_url, headers=headers, timeout=5) as client:
        yield client


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def test_plain_and_base64_encodings(http: httpx.AsyncClient) -> None:
    k = f"contract:{uuid4().hex}"
    b64_mode = {"Upstash-Encoding": "base64"}
    assert (await http.post("/", json=["SET", k, "héllo"])).json() == {"result": "OK"}
    assert (await http.post("/", json=["SET", f"{k}:ok", "OK"], headers=b64_mode)).json() == {
        "result": "OK"
    }
    assert (await http.post("/", json=["GET", k])).json() == {"result": "héllo"}
    assert (await http.post("/", json=["GET", k], headers=b64_mode)).json() == {
        "result": b64("héllo")
    }
    # A bulk string that reads "OK" is data, so it is encoded; the status reply OK is not.
    assert (await http.post("/", json=["GET", f"{k}:ok"], headers=b64_mode)).json() == {
        "result": "T0s="
    }
    assert (await http.post("/", json=["PING"], headers=b64_mode)).json() == {"result": b64("PONG")}
    assert (await http.post("/", json=["INCR", f"{k}:n"], headers=b64_mode)).json() == {"result": 1}
    mget = await http.post("/", json=["MGET", k, f"{k}:absent"], headers=b64_mode)
    assert mget.json() == {"result": [b64("héllo"), None]}
    error = await http.post("/", json=["INCR", k], headers=b64_mode)
    assert error.status_code == 400
    assert error.json() == {"error": "ERR value is not an integer or out of range"}


async def test_json_scalars_are_stringified(http: httpx.AsyncClient) -> None:
    k = f"contract:{uuid4().hex}"
    body = [["SET", k, 2.0], ["GET", k], ["SET", k, True], ["GET", k], ["SET", k, 10], ["GET", k]]
    replies = (await http.post("/pipeline", json=body)).json()
    assert [reply["result"] for reply in replies[1::2]] == ["2.0", "true", "10"]
    bad = await http.post("/", json=["SET", k, None])
    assert bad.status_code == 400 and "error" in bad.json()


async def test_path_style_commands(http: httpx.AsyncClient, stack_cfg: StackConfig) -> None:
    k = f"contract:{uuid4().hex}"
    assert (await http.get(f"/set/{k}/bar", params={"EX": "100"})).json() == {"result": "OK"}
    assert (await http.get(f"/get/{k}")).json() == {"result": "bar"}
    assert 0 < (await http.get(f"/ttl/{k}")).json()["result"] <= 100
    # The body is the last argument; %2F stays inside a key; a trailing slash is fine.
    assert (await http.post(f"/set/{k}%2Fslash", content=b"from body")).json()["result"] == "OK"
    assert (await http.get(f"/get/{k}%2Fslash/")).json() == {"result": "from body"}
    anonymous = httpx.AsyncClient(base_url=str(http.base_url), timeout=5)
    async with anonymous:
        reply = await anonymous.get(f"/get/{k}", params={"_token": stack_cfg.upstash_token})
    assert reply.json() == {"result": "bar"}


async def test_auth_and_method_errors(http: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient(base_url=str(http.base_url), timeout=5) as anonymous:
        missing = await anonymous.post("/", json=["PING"])
        wrong = await anonymous.post("/", json=["PING"], headers={"Authorization": "Bearer nope"})
        wrong_query = await anonymous.get("/ping", params={"_token": "nope"})
    for response in (missing, wrong, wrong_query):
        assert response.status_code == 401
        assert response.json() == {"error": UNAUTHORIZED}
    deleted = await http.delete("/get/x")
    assert deleted.status_code == 405 and "error" in deleted.json()
    assert (await http.put("/", json=["PING"])).json() == {"result": "PONG"}
    refused = await http.post("/", json=["MULTI"])
    assert refused.status_code == 400 and "error" in refused.json()
    not_json = await http.post("/", content=b"SET a b")
    assert not_json.status_code == 400 and "error" in not_json.json()


async def test_pipeline_and_transaction_shapes(http: httpx.AsyncClient) -> None:
    k = f"contract:{uuid4().hex}"
    body = [["SET", k, "1"], ["INCR", k], ["HGET", k, "f"], ["NOSUCHCMD"], ["GET", k]]
    # An SDK configured with a trailing slash posts to `//pipeline`.
    pipeline = await http.post(f"{str(http.base_url).rstrip('/')}//pipeline", json=body)
    assert pipeline.status_code == 200
    replies = pipeline.json()
    assert replies[:2] == [{"result": "OK"}, {"result": 2}]
    assert replies[2] == {
        "error": "WRONGTYPE Operation against a key holding the wrong kind of value"
    }
    assert replies[3]["error"].startswith("ERR unknown command")
    assert replies[4] == {"result": "2"}

    tx = await http.post("/multi-exec", json=[["INCR", k], ["HGET", k, "f"], ["INCR", k]])
    assert tx.status_code == 200
    assert tx.json()[0] == {"result": 3} and tx.json()[2] == {"result": 4}
    assert "error" in tx.json()[1]
    rejected = await http.post("/multi-exec", json=[["INCR", k], ["NOSUCHCMD"]])
    assert rejected.status_code == 400
    assert rejected.json()["error"].startswith("EXECABORT")
    assert (await http.get(f"/get/{k}")).json() == {"result": "4"}  # nothing ran


async def test_sync_token_grows(http: httpx.AsyncClient) -> None:
    first = await http.post("/", json=["PING"], headers={"Upstash-Sync-Token": ""})
    second = await http.post("/", json=["PING"], headers={"Upstash-Sync-Token": "1"})
    tokens = [int(r.headers["Upstash-Sync-Token"]) for r in (first, second)]
    assert tokens[0] < tokens[1]


async def test_healthz(http: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient(base_url=str(http.base_url), timeout=5) as anonymous:
        response = await anonymous.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


# --- a private Redis + bridge: timeouts and Redis going away ---------------------------------


@dataclasses.dataclass
class PrivatePair:
    cfg: StackConfig
    redis: ManagedProcess
    bridge: ManagedProcess

    def http(self) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.cfg.upstash_token}"}
        return httpx.AsyncClient(base_url=self.cfg.upstash_url, headers=headers, timeout=5)


@pytest.fixture(scope="module")
def private(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivatePair]:
    """Its own Redis and a bridge with a 0.5 s command timeout (the shared ones stay intact)."""
    cfg = StackConfig.ephemeral(Path(tmp_path_factory.mktemp("upstash-private")))
    base = upstash_process(cfg)
    bridge_proc = dataclasses.replace(base, argv=[*base.argv, "--command-timeout", "0.5"])
    pair = PrivatePair(cfg, redis_process(cfg), bridge_proc)
    pair.redis.start()
    try:
        pair.bridge.start()
        try:
            yield pair
        finally:
            pair.bridge.stop()
    finally:
        pair.redis.stop()


async def test_blocking_command_times_out(private: PrivatePair) -> None:
    async with private.http() as http:
        started = time.monotonic()
        blocked = await http.post("/", json=["BLPOP", f"contract:{uuid4().hex}", 0])
        # The bridge gives up after its 0.5 s command timeout; the client's own is 5 s.
        assert time.monotonic() - started < 4.5
        assert blocked.status_code >= 500 and "timed out" in blocked.json()["error"]
        assert (await http.post("/", json=["PING"])).json() == {"result": "PONG"}


async def test_redis_killed_then_back(private: PrivatePair) -> None:
    client = upstash_redis.asyncio.Redis(
        private.cfg.upstash_url, private.cfg.upstash_token, rest_retries=0
    )
    k = f"contract:{uuid4().hex}"
    assert await client.set(k, "before") is True
    private.redis.kill9()
    try:
        async with private.http() as http:
            health = await http.get("/healthz")
            assert health.status_code == 503
            with pytest.raises(UpstashError, match="redis unavailable"):
                await client.get(k)
    finally:
        private.redis.start()
    async with private.http() as http:
        assert (await http.get("/healthz")).status_code == 200
    assert await client.get(k) == "before"  # AOF replayed, stale pooled sockets replaced
    await client.close()
