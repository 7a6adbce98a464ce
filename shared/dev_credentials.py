"""The fixed dev/test credentials, without the settings machinery.

`shared.config` (pydantic-settings) re-exports these as its dev defaults. The local
emulators and the dev stack's launcher import them from here instead: they only need the
strings, and importing pydantic would cost each emulator process about 10 MB of RSS.
"""

from __future__ import annotations

# Fixed test credentials published by QStash's own local dev server; dev/test only.
DEV_QSTASH_TOKEN = "eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0="
DEV_QSTASH_CURRENT_SIGNING_KEY = "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r"
DEV_QSTASH_NEXT_SIGNING_KEY = "sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs"
DEV_UPSTASH_TOKEN = "dev-upstash-token"
DEV_DEMO_WEBHOOK_SECRET = "whsec_cGF5Z2F0ZS1kZW1vLXdlYmhvb2stc2VjcmV0LTMyYiE="
DEV_CARD_FINGERPRINT_KEY = "dev-card-fingerprint-key-not-a-secret"
