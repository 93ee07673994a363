"""GraphiQL is served whole from the service's own origin: it works with no internet.

The page's scripts, styles and Monaco's workers are bundled from pinned npm packages into
api/static/graphiql/ by tools/graphiql/build.sh; SHA256SUMS guards them against hand edits.
The browser test needs chromium (Debian's `chromium`): without it, it is skipped, saying so,
and in CI (`CI` set) it fails.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from api.settings import Settings
from api.tokens import mint_token
from domain.party import Role
from tests.conftest import Api, Client, configured, serve
from tests.served import serving
from tests.sow_helpers import create_sow

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "api" / "static" / "graphiql"
TOOLS = ROOT / "tools" / "graphiql"
HTML = {"Accept": "text/html"}
YEAR = 365 * 24 * 3600


class _References(HTMLParser):
    """Every URL the page loads by itself: scripts, styles, icons, and its data-assets base."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.assets: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href"):
            if (url := values.get(name)) and tag in {"script", "link", "img", "iframe"}:
                self.urls.append(url)
        if (assets := values.get("data-assets")) is not None:
            self.assets = assets


def references(page: str) -> _References:
    parser = _References()
    parser.feed(page)
    return parser


def checksums() -> dict[str, str]:
    lines = (ASSETS / "SHA256SUMS").read_text().splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines)}


async def test_the_page_loads_nothing_from_another_origin(api: Api) -> None:
    page = await api.http.get("/graphql", headers=HTML)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    found = references(page.text)
    assert found.urls, page.text
    assert found.assets is not None
    for url in [*found.urls, found.assets]:
        # Same origin: a path (or inline data), never another scheme or a `//host`.
        assert urlsplit(url).scheme in {"", "data"}, url
        assert not url.startswith("//"), url
    assert "unpkg.com" not in page.text
    assert "https://" not in page.text
    page_url = "http://test/graphql"
    for url in found.urls:
        if url.startswith("data:"):
            continue
        asset = await api.http.get(urljoin(page_url, url))
        assert asset.status_code == 200, url


async def test_every_asset_is_served_as_built_with_a_long_cache(api: Api) -> None:
    page = await api.http.get("/graphql", headers=HTML)
    base = references(page.text).assets
    assert base is not None
    sums = checksums()
    for name in ("graphiql.js", "graphiql.css", "editor.worker.js", "json.worker.js"):
        assert name in sums
    for name, digest in sums.items():
        response = await api.http.get(urljoin(urljoin("http://test/graphql", base), name))
        assert response.status_code == 200, name
        assert hashlib.sha256(response.content).hexdigest() == digest, name
        cache = response.headers["cache-control"]
        assert "immutable" in cache, cache
        assert int(re.search(r"max-age=(\d+)", cache)[1]) >= YEAR  # type: ignore[index]
    # The page itself is not cached: it names the assets' current path.
    assert "no-cache" in page.headers["cache-control"]


async def test_the_asset_path_changes_with_the_assets(api: Api) -> None:
    """Assets are cached as immutable, so a rebuild must change their URL."""
    page = await api.http.get("/graphql", headers=HTML)
    base = references(page.text).assets
    assert base is not None
    digest = hashlib.sha256((ASSETS / "SHA256SUMS").read_bytes()).hexdigest()
    assert digest[:12] in base


async def test_no_assets_without_graphiql(settings: Settings) -> None:
    async with serve(configured(settings, graphiql=True)) as api:
        base = references((await api.http.get("/graphql", headers=HTML)).text).assets
    assert base is not None
    async with serve(configured(settings, graphiql=False)) as api:
        response = await api.http.get(urljoin("http://test/graphql", base) + "graphiql.js")
        assert response.status_code == 404


def test_the_assets_are_the_ones_built() -> None:
    """Nobody edits the bundle by hand: rebuild it with tools/graphiql/build.sh."""
    sums = checksums()
    on_disk = {path.name for path in ASSETS.iterdir()} - {"SHA256SUMS", "README.md"}
    assert on_disk == set(sums)
    for name, digest in sums.items():
        assert hashlib.sha256((ASSETS / name).read_bytes()).hexdigest() == digest, name


def test_the_build_is_pinned() -> None:
    """Exact versions, and a lock file, so that the build is reproducible from npm."""
    manifest = json.loads((TOOLS / "package.json").read_text())
    lock = json.loads((TOOLS / "package-lock.json").read_text())
    for name, wanted in manifest["dependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", wanted), (name, wanted)
        assert lock["packages"][f"node_modules/{name}"]["version"] == wanted, name
    assert manifest["dependencies"]["graphiql"].startswith("5.")
    readme = (ASSETS / "README.md").read_text()
    licenses = (ASSETS / "THIRD_PARTY_LICENSES.txt").read_text()
    for name in ("graphiql", "react", "react-dom", "graphql", "graphql-ws", "monaco-editor"):
        version = lock["packages"][f"node_modules/{name}"]["version"]
        assert f"{name} {version}" in licenses, name
        if name in manifest["dependencies"]:
            assert f"`{name}` | {version}" in readme, name


# A real browser ----------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _missing(message: str) -> NoReturn:
    """Skips, saying what was not checked (`-ra` lists it); in CI (`CI` set) fails, as
    tests/test_frontend.py does, so the browser check cannot silently go."""
    message = f"NOT CHECKED: GraphiQL in a browser needs {message}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def chromium(found: str | None = CHROMIUM) -> str:
    if found is None:
        _missing("chromium on PATH (Debian: apt-get install chromium)")
    return found


def test_without_chromium_the_browser_test_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    # Caught as BaseException: a skip must not pass for this test's own skip.
    monkeypatch.setenv("CI", "true")
    with pytest.raises(BaseException, match="chromium") as in_ci:
        chromium(None)
    assert in_ci.type is pytest.fail.Exception
    monkeypatch.delenv("CI")
    with pytest.raises(BaseException, match="chromium") as elsewhere:
        chromium(None)
    assert elsewhere.type is pytest.skip.Exception


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    executable = chromium()
    try:
        import playwright.async_api as playwright
    except ImportError:
        _missing("playwright (the test extras: ./run test installs them)")
    async with playwright.async_playwright() as driver:
        # Debian's chromium, by its path: Playwright's own browser download is not needed.
        launched = await driver.chromium.launch(executable_path=executable, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


SOW_EVENTS = "subscription Events { contractEvents { id type entityType } }"


async def test_a_browser_runs_a_query_and_a_subscription_offline(
    settings: Settings, browser: Any
) -> None:
    settings = configured(settings, graphiql=True)
    async with serving(settings) as (_app, server, _task):
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        origin = f"http://{host}:{port}"
        staff = _token(settings, Role.COMPLIANCE)
        context = await browser.new_context()
        foreign: list[str] = []

        async def offline(route: Any) -> None:
            # No internet: anything for another origin fails, as it would on a plane.
            if not route.request.url.startswith((origin, "ws://", "data:", "blob:")):
                foreign.append(route.request.url)
                await route.abort()
            else:
                await route.continue_()

        await context.route("**/*", offline)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))

        def console(message: Any) -> None:
            # A resource that failed (a 404 included) is a console error.
            if message.type == "error":
                errors.append(message.text)

        page.on("console", console)
        await page.goto(f"{origin}/graphql")
        await page.wait_for_selector(".graphiql-container .graphiql-query-editor", timeout=30_000)
        await _set_editor(page, "headers", json.dumps({"Authorization": f"Bearer {staff}"}))

        await _set_query(page, "query Me { viewer { id role } }", "Me")
        await page.click(".graphiql-execute-button")
        response = await _response(page, lambda text: "COMPLIANCE" in text)
        assert json.loads(response)["data"]["viewer"]["role"] == "COMPLIANCE"

        await _set_query(page, SOW_EVENTS, "Events")
        await page.click(".graphiql-execute-button")
        async with httpx.AsyncClient(base_url=origin) as http:
            # The subscription is live once the socket said `connection_ack`: until an event
            # arrives, create SOWs (one is enough once subscribed).
            for _ in range(50):
                await _create_sow(http, settings)
                try:
                    text = await _response(page, lambda text: "CREATED" in text, 0.2)
                    break
                except TimeoutError:
                    continue
            else:
                raise AssertionError(await _editor(page, "response"))
        event = json.loads(text)["data"]["contractEvents"]
        assert (event["type"], event["entityType"]) == ("CREATED", "SOW")
        assert not foreign, foreign
        assert not errors, errors
        await context.close()


def _token(settings: Settings, role: Role) -> str:
    return mint_token(settings, role, subject="browser")


async def _create_sow(http: httpx.AsyncClient, settings: Settings) -> None:
    client = Client(http=http, settings=settings)
    created = await client.ok(
        'mutation { createClient(name: "Browser") { id } }', token=client.token(Role.COMPLIANCE)
    )
    await create_sow(client, created["createClient"]["id"])


# GraphiQL 5's editors are Monaco editors: text goes in as a user types it, and comes out as
# the lines Monaco renders.
_EDITORS = {
    "query": ".graphiql-query-editor",
    # Shown first: the page opens the editor tools on the headers.
    "headers": ".graphiql-editor-tool .graphiql-editor:not(.hidden)",
    "response": ".graphiql-response",
}


async def _set_query(page: Any, text: str, name: str) -> None:
    await _set_editor(page, "query", text)
    # GraphiQL reads the operation's name from the editor a moment later; the active tab
    # shows it once read (run before, it would send the previous operation's name).
    await page.wait_for_selector(f".graphiql-tab-active:has-text('{name}')")


async def _set_editor(page: Any, editor: str, text: str) -> None:
    target = page.locator(f"{_EDITORS[editor]} .monaco-editor").first
    await target.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.press("Delete")
    await page.keyboard.insert_text(text)


async def _editor(page: Any, editor: str) -> str:
    text: str = await page.locator(f"{_EDITORS[editor]} .view-lines").first.inner_text()
    return text.replace("\u00a0", " ")


async def _response(page: Any, done: Any, seconds: float = 20) -> str:
    import asyncio

    async with asyncio.timeout(seconds):
        while True:
            text = await _editor(page, "response")
            if done(text):
                return text
            await asyncio.sleep(0.05)
