"""The ASGI application: lifespan (Redis, HTTP client, worker), auth, the route table."""

from __future__ import annotations

import asyncio
import hmac
import logging
from functools import partial
from urllib.parse import parse_qs

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from emulators.qstash import dlq_api, flow_control_api, messages_api, url_groups
from emulators.qstash.context import Context
from emulators.qstash.delivery import Deliverer
from emulators.qstash.http_client import HttpClient
from emulators.qstash.models import Options
from emulators.qstash.publish import BadRequest
from emulators.qstash.routing import (
    Receive,
    Request,
    Response,
    Router,
    Scope,
    Send,
    error,
    json_response,
)
from emulators.qstash.schedules import Schedules
from emulators.qstash.signing import Signer
from emulators.qstash.store import Store
from emulators.qstash.worker import Worker

log = logging.getLogger("qstash")

HEALTH_TIMEOUT_S = 1.0
ID = r"(?P<{}>[^/]+)"


class QStashApp:
    """One emulator instance; `await app(scope, receive, send)` is the ASGI entry point."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.store = Store(options.redis_url)
        self.signer = Signer(options.current_signing_key, options.next_signing_key)
        self.ctx = Context(options, self.store, self.signer, Schedules(self.store))
        self.client: HttpClient | None = None
        self.router = self._routes()

    def _routes(self) -> Router:
        r, ctx = Router(), self.ctx
        m, d = messages_api, dlq_api
        r.add("POST", r"/v2/publish/(?P<dest>.+)", partial(m.publish, ctx))
        r.add(
            "POST", r"/v2/enqueue/" + ID.format("queue") + r"/(?P<dest>.+)", partial(m.enqueue, ctx)
        )
        r.add("POST", r"/v2/batch", partial(m.batch, ctx))
        r.add("GET", r"/v2/messages/" + ID.format("message_id"), partial(m.get_message, ctx))
        r.add("DELETE", r"/v2/messages/" + ID.format("message_id"), partial(m.cancel_message, ctx))
        r.add("DELETE", r"/v2/messages/?", partial(m.cancel_messages, ctx))
        r.add("GET", r"/v2/dlq/?", partial(d.list_dlq, ctx))
        r.add("DELETE", r"/v2/dlq/?", partial(d.delete_dlq_many, ctx))
        r.add("POST", r"/v2/dlq/retry/?", partial(d.retry_dlq_many, ctx))
        r.add("POST", r"/v2/dlq/retry/" + ID.format("dlq_id"), partial(d.retry_dlq, ctx))
        r.add("GET", r"/v2/dlq/" + ID.format("dlq_id"), partial(d.get_dlq, ctx))
        r.add("DELETE", r"/v2/dlq/" + ID.format("dlq_id"), partial(d.delete_dlq, ctx))
        r.add(
            "PATCH POST",
            r"/v2/schedules/" + ID.format("schedule_id") + "/pause",
            partial(d.pause_schedule, ctx),
        )
        r.add(
            "PATCH POST",
            r"/v2/schedules/" + ID.format("schedule_id") + "/resume",
            partial(d.resume_schedule, ctx),
        )
        r.add("GET", r"/v2/schedules/?", partial(d.list_schedules, ctx))
        r.add("GET", r"/v2/schedules/" + ID.format("schedule_id"), partial(d.get_schedule, ctx))
        r.add(
            "DELETE", r"/v2/schedules/" + ID.format("schedule_id"), partial(d.delete_schedule, ctx)
        )
        r.add("POST", r"/v2/schedules/(?P<dest>.+)", partial(d.create_schedule, ctx))
        g = url_groups
        r.add(
            "POST",
            r"/v2/topics/" + ID.format("group") + "/endpoints",
            partial(g.upsert_endpoints, ctx),
        )
        r.add(
            "DELETE",
            r"/v2/topics/" + ID.format("group") + "/endpoints",
            partial(g.remove_endpoints, ctx),
        )
        r.add("GET", r"/v2/topics/?", partial(g.list_groups, ctx))
        r.add("GET", r"/v2/topics/" + ID.format("group"), partial(g.get_group, ctx))
        r.add("DELETE", r"/v2/topics/" + ID.format("group"), partial(g.delete_group, ctx))
        f = flow_control_api
        r.add("GET", r"/v2/flowControl/?", partial(f.list_flow_controls, ctx))
        r.add("GET", r"/v2/flowControl/" + ID.format("key"), partial(f.get_flow_control, ctx))
        r.add(
            "POST",
            r"/v2/flowControl/" + ID.format("key") + "/(?P<action>" + "|".join(f.ACTIONS) + ")",
            partial(f.manage, ctx),
        )
        r.add("GET", r"/v2/globalParallelism", partial(f.global_parallelism, ctx))
        r.add("GET", r"/v2/keys", partial(m.get_keys, ctx))
        r.add("POST", r"/v2/keys/rotate", partial(m.rotate_keys, ctx))
        r.add("GET", r"/v2/events", partial(m.list_events, ctx))
        r.add("GET", r"/v2/logs", partial(m.list_logs, ctx))
        r.add("GET", r"/_emulator/stats", self._stats)
        return r

    async def _stats(self, req: Request) -> Response:
        """What this process would have billed so far (see stats.py)."""
        return json_response(self.store.stats.as_json(await self.store.pending()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        req = Request(scope, receive)
        if req.path == "/healthz":
            response = await self._health()
        elif not self._authorized(req):
            response = error(401, "unauthorized: invalid or missing QStash token")
        else:
            matched = self.router.match(req.method, req.path)
            if isinstance(matched, tuple):
                handler, groups = matched
                try:
                    response = await handler(req, **groups)
                except BadRequest as exc:
                    response = error(400, str(exc))
                except (RedisConnectionError, RedisTimeoutError) as exc:
                    log.warning("%s %s: redis unavailable: %s", req.method, req.path, exc)
                    response = error(503, "redis unavailable, try again")
                except Exception:
                    log.exception("%s %s failed", req.method, req.path)
                    response = error(500, "internal error")
            else:
                response = matched
        await response.send(send)

    def _authorized(self, req: Request) -> bool:
        header = req.headers.get("authorization", "")
        if header.startswith("Bearer "):
            token = header[len("Bearer ") :].strip()
        else:
            token = (parse_qs(req.query).get("qstash_token") or [""])[0]
        return hmac.compare_digest(token.encode(), self.options.token.encode())

    async def _health(self) -> Response:
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT_S):
                await self.store.ping()
        except Exception as exc:
            return error(503, f"redis unavailable: {type(exc).__name__}")
        return json_response({"status": "ok"})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def startup(self) -> None:
        slots = self.options.parallelism + 16
        self.client = HttpClient(max_idle=slots)
        deliverer = Deliverer(
            self.client,
            self.signer,
            self.store,
            self.options.time_scale,
            self.options.max_retry_delay_s,
        )
        worker = Worker(self.store, deliverer, self.ctx.schedules, self.options.parallelism)
        self.ctx.worker = worker
        worker.start()

    async def shutdown(self) -> None:
        if self.ctx.worker is not None:
            await self.ctx.worker.stop()
        if self.client is not None:
            await self.client.aclose()
        await self.store.close()
