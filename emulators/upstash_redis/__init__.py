"""Local stand-in for the Upstash Redis REST API, bridged onto a real Redis.

Run it with `python -m emulators.upstash_redis --port 8079 --redis-url redis://127.0.0.1:6379/0
--token dev-upstash-token`; the official `upstash-redis` SDK works against it unmodified.
`GET /_emulator/stats` (not an Upstash API; token required) counts the commands this process
ran since it started, as Upstash bills them (each command of a pipeline or transaction), and
the requests that carried them.
"""

from emulators.upstash_redis.app import create_app

__all__ = ["create_app"]
