"""GraphiQL, served whole from the service's own origin (no CDN: it works offline).

The page is this module's HTML; its script, style and Monaco's workers are the files of
`static/graphiql/`, bundled from pinned npm packages by `tools/graphiql/build.sh` and
committed, so a machine without Node serves them. They are mounted under a path that holds
a digest of their checksums: cached as immutable, a rebuild still reaches every browser.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from html import escape
from pathlib import Path

from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

ASSETS = Path(__file__).resolve().parent / "static" / "graphiql"
PREFIX = "/graphiql"
IMMUTABLE = "public, max-age=31536000, immutable"

DEFAULT_QUERY = """\
# Put a token in the headers below (`contracts token compliance` mints one).
query Viewer {
  viewer {
    id
    role
  }
}
"""
DEFAULT_HEADERS = json.dumps({"Authorization": "Bearer <token>"}, indent=2)

_PAGE = """\
<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Contract service: GraphiQL</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="{assets}graphiql.css" />
    <style>
      body {{ margin: 0; }}
      #graphiql {{ height: 100dvh; }}
    </style>
  </head>
  <body>
    <div
      id="graphiql"
      data-endpoint="{endpoint}"
      data-assets="{assets}"
      data-default-query="{query}"
      data-default-headers="{headers}"
    >Loading…</div>
    <script src="{assets}graphiql.js"></script>
  </body>
</html>
"""


@cache
def assets_path() -> str:
    """Where the assets are mounted: `/graphiql/<digest of SHA256SUMS>/`."""
    digest = hashlib.sha256((ASSETS / "SHA256SUMS").read_bytes()).hexdigest()
    return f"{PREFIX}/{digest[:12]}/"


def page(endpoint: str) -> str:
    """The GraphiQL page for the GraphQL endpoint at `endpoint` (a same-origin path)."""
    return _PAGE.format(
        endpoint=escape(endpoint),
        assets=escape(assets_path()),
        query=escape(DEFAULT_QUERY),
        headers=escape(DEFAULT_HEADERS),
    )


class _ImmutableFiles(StaticFiles):
    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = IMMUTABLE
        return response


def assets_mount() -> Mount:
    # Only the built files: the folder's README.md and SHA256SUMS are served too, harmlessly.
    return Mount(assets_path().rstrip("/"), app=_ImmutableFiles(directory=ASSETS))
