"""URL groups (the API's "topics"): named endpoint lists that a publish fans out to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from emulators.qstash.context import Context
from emulators.qstash.models import now_ms
from emulators.qstash.publish import is_url
from emulators.qstash.routing import Request, Response, error, json_response


@dataclass(frozen=True)
class Target:
    """One place a publish goes: the URL, and the group/endpoint it came from if any."""

    url: str
    group: str | None = None
    endpoint: str | None = None


async def targets(ctx: Context, destination: str) -> list[Target] | None:
    """A URL is its own target; a group name expands to its endpoints (None: unknown group)."""
    if is_url(destination):
        return [Target(destination)]
    group = await ctx.store.get_group(unquote(destination))
    if not group or not group["endpoints"]:
        return None
    return [Target(e["url"], group["name"], e.get("name")) for e in group["endpoints"]]


async def upsert_endpoints(ctx: Context, req: Request, group: str) -> Response:
    endpoints = await _endpoints(req)
    if endpoints is None or not endpoints:
        return error(400, 'body must be {"endpoints": [{"url": "https://...", "name"?: "..."}]}')
    if any(not is_url(e.get("url", "")) for e in endpoints):
        return error(400, "every endpoint needs an http(s) url")
    name, now = unquote(group), now_ms()
    current = await ctx.store.get_group(name) or {"name": name, "createdAt": now, "endpoints": []}
    by_url = {e["url"]: e for e in current["endpoints"]}
    for endpoint in endpoints:
        by_url[endpoint["url"]] = {k: endpoint[k] for k in ("url", "name") if endpoint.get(k)}
    current["endpoints"] = list(by_url.values())
    current["updatedAt"] = now
    await ctx.store.put_group(current)
    return json_response({"name": name}, 200)


async def remove_endpoints(ctx: Context, req: Request, group: str) -> Response:
    endpoints = await _endpoints(req)
    if endpoints is None:
        return error(400, 'body must be {"endpoints": [{"url"?: "...", "name"?: "..."}]}')
    name = unquote(group)
    current = await ctx.store.get_group(name)
    if current is None:
        return error(404, "url group not found")
    urls = {e["url"] for e in endpoints if e.get("url")}
    names = {e["name"] for e in endpoints if e.get("name")}
    current["endpoints"] = [
        e for e in current["endpoints"] if e["url"] not in urls and e.get("name") not in names
    ]
    if current["endpoints"]:
        current["updatedAt"] = now_ms()
        await ctx.store.put_group(current)
    else:
        await ctx.store.delete_group(name)  # removing every endpoint removes the group
    return json_response({"name": name})


async def get_group(ctx: Context, req: Request, group: str) -> Response:
    found = await ctx.store.get_group(unquote(group))
    return json_response(found) if found else error(404, "url group not found")


async def list_groups(ctx: Context, req: Request) -> Response:
    groups = [await ctx.store.get_group(name) for name in await ctx.store.group_names()]
    return json_response([g for g in groups if g])


async def delete_group(ctx: Context, req: Request, group: str) -> Response:
    if not await ctx.store.delete_group(unquote(group)):
        return error(404, "url group not found")
    return json_response({"deleted": 1})


async def _endpoints(req: Request) -> list[dict[str, Any]] | None:
    try:
        data = await req.json()
    except ValueError:
        return None
    endpoints = data.get("endpoints") if isinstance(data, dict) else None
    if not isinstance(endpoints, list) or not all(isinstance(e, dict) for e in endpoints):
        return None
    return endpoints
