"""Print the public API's OpenAPI document, built in-process from the app (no server, no I/O).

    python -m devstack.openapi_dump > openapi.json
    python -m devstack.openapi_dump --out frontend/node_modules/.cache/paygate/openapi.json

It is what `GET /openapi.json` answers: `payments_api` serves the document of the whole public
API (its own routes plus create_payment's and settlement_report's, `shared/web/app.py`). The
dashboard's types are generated from it (`make types`, i.e. `npm run gen:types` in frontend/).
Importing an app reads the settings, so this runs in dev mode with the dev defaults: the
document does not depend on them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any


def public_openapi() -> dict[str, Any]:
    os.environ["PAYGATE_ENV"] = "dev"
    os.environ["PAYGATE_SECRETS"] = "env"
    from functions.payments_api.app import app

    return app.openapi()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write here instead of standard output")
    args = parser.parse_args(argv)
    text = json.dumps(public_openapi(), indent=2, ensure_ascii=False) + "\n"
    if args.out is None:
        sys.stdout.write(text)
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
