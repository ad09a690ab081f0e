"""Three browser engines behind one small interface, for the real-browser conformance suite.

Every engine is driven with Debian packages alone (shared/spec/browser-testing.md):

- Chromium through Python Playwright, ``executable_path=/usr/bin/chromium``;
- Firefox ESR through its built-in WebDriver BiDi agent (no geckodriver), spoken here directly
  over ``websocket-client``; a spec-strict variant sets
  ``network.cors_preflight.authorization_covered_by_wildcard=false``;
- WebKitGTK through Selenium and ``/usr/bin/WebKitWebDriver`` on a private ``Xvfb`` display.

An :class:`Engine` is started once per pytest session. :meth:`Engine.session` opens a
:class:`Session` (a fresh Chromium context, a fresh Firefox user context, or for WebKit with
``fresh=True`` a new WebDriver session: new cookie jar, HTTP cache and preflight cache).
:meth:`Session.run` navigates to a page and evaluates an async JS function on it; the function's
JSON-serialisable result comes back as a Python value. :attr:`Session.console` holds the console
messages the engine reports (Chromium and Firefox name the CORS failure; WebKit reports nothing
to WebDriver, and only ``TypeError: Load failed`` to the page).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

CHROMIUM = "/usr/bin/chromium"
FIREFOX = "/usr/bin/firefox-esr"
WEBKIT_DRIVER = "/usr/bin/WebKitWebDriver"
XVFB = "Xvfb"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FIREFOX_PREFS = {
    "browser.shell.checkDefaultBrowser": False,
    "network.http.http3.enable": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
}
STRICT_AUTHORIZATION_PREF = "network.cors_preflight.authorization_covered_by_wildcard"
START_TIMEOUT = 30.0
COMMAND_TIMEOUT = 30.0


class EngineUnavailable(RuntimeError):
    """The engine's binary is not installed (a skip locally, a failure under CI)."""


def _expression(js: str, arg: Any) -> str:
    """An expression that calls the async function *js* with *arg* and yields JSON text.

    The same string runs in every engine, so no engine-specific value serialisation is needed.
    """
    return f"(async () => JSON.stringify(await ({js})({json.dumps(arg)})))()"


class Session:
    """One isolated browsing context; subclasses implement :meth:`_navigate` and :meth:`_eval`."""

    def __init__(self) -> None:
        self.console: list[str] = []

    def run(self, page_url: str, js: str, arg: Any = None) -> Any:
        """Navigate to *page_url*, await ``(js)(arg)`` there and return its result."""
        self.open(page_url)
        return self.evaluate(js, arg)

    def open(self, page_url: str) -> None:
        """Navigate to *page_url* and wait for its load event."""
        self._navigate(page_url)

    def evaluate(self, js: str, arg: Any = None) -> Any:
        """Await ``(js)(arg)`` in the current page (e.g. click a button, await its result)."""
        return json.loads(self._eval(_expression(js, arg)))

    def wait_console(self, pattern: str, timeout: float = 15.0) -> str | None:
        """The first console message matching *pattern*, waiting for late ones.

        The wait is long because a loaded machine delays the engine's console events by
        seconds; a message that is there returns at once, so only a real failure waits it out.
        """
        deadline = time.monotonic() + timeout
        while True:
            for message in list(self.console):
                if re.search(pattern, message):
                    return message
            if time.monotonic() > deadline:
                return None
            self._pause(0.05)

    def _pause(self, seconds: float) -> None:
        time.sleep(seconds)

    def _navigate(self, url: str) -> None:
        raise NotImplementedError

    def _eval(self, expression: str) -> str:
        raise NotImplementedError


class Engine:
    """A browser started once; :meth:`session` yields isolated sessions."""

    name = "engine"
    binary = ""

    def __init__(self) -> None:
        self.version = "?"

    def available(self) -> bool:
        return os.path.exists(self.binary)

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    @contextlib.contextmanager
    def session(self, *, fresh: bool = True) -> Iterator[Session]:
        raise NotImplementedError
        yield  # pragma: no cover


# -- Chromium ------------------------------------------------------------------------------


class _ChromiumSession(Session):
    def __init__(self, page: Any) -> None:
        super().__init__()
        self.page = page
        page.on("console", lambda message: self.console.append(message.text))

    def _pause(self, seconds: float) -> None:
        # Playwright's sync API delivers events only while one of its calls runs: a plain
        # sleep would never see a console message that arrives after evaluate() returned.
        self.page.wait_for_timeout(seconds * 1000)

    def _navigate(self, url: str) -> None:
        self.page.goto(url)

    def _eval(self, expression: str) -> str:
        return str(self.page.evaluate(expression))


class Chromium(Engine):
    name = "chromium"
    binary = CHROMIUM

    def start(self) -> None:
        from playwright.sync_api import sync_playwright

        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        self.version = f"Chromium {self.browser.version}"
        self.shared = _ChromiumSession(self.browser.new_context().new_page())

    def stop(self) -> None:
        self.browser.close()
        self.playwright.stop()

    @contextlib.contextmanager
    def session(self, *, fresh: bool = True) -> Iterator[Session]:
        # A new context costs 0.5-1 s on a busy machine; tests whose URLs are unique and that
        # set no cookie share one page.
        if not fresh:
            self.shared.console.clear()
            yield self.shared
            return
        context = self.browser.new_context()
        try:
            yield _ChromiumSession(context.new_page())
        finally:
            context.close()


# -- Firefox over WebDriver BiDi -----------------------------------------------------------


class _Bidi:
    """A minimal WebDriver BiDi client: commands by id, ``log.entryAdded`` events by context."""

    def __init__(self, url: str) -> None:
        import websocket

        # Firefox answers 400 to a handshake that carries an Origin header.
        self.ws = websocket.create_connection(url, suppress_origin=True)
        self.lock = threading.Lock()
        self.next_id = 0
        self.pending: dict[int, queue.Queue[dict[str, Any]]] = {}
        self.logs: dict[str, list[str]] = {}
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                message = json.loads(self.ws.recv())
            except Exception:
                for waiting in list(self.pending.values()):
                    waiting.put({"type": "error", "error": "connection closed"})
                return
            if "id" in message and message["id"] in self.pending:
                self.pending[message["id"]].put(message)
            elif message.get("method") == "log.entryAdded":
                params = message["params"]
                context = params.get("source", {}).get("context", "")
                self.logs.setdefault(context, []).append(str(params.get("text", "")))

    def command(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.next_id += 1
            ident = self.next_id
            answer: queue.Queue[dict[str, Any]] = queue.Queue()
            self.pending[ident] = answer
            self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        try:
            message = answer.get(timeout=COMMAND_TIMEOUT)
        finally:
            del self.pending[ident]
        if message.get("type") != "success":
            raise RuntimeError(f"BiDi {method} failed: {message}")
        result: dict[str, Any] = message["result"]
        return result

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()


class _FirefoxSession(Session):
    def __init__(self, bidi: _Bidi, context: str) -> None:
        super().__init__()
        self.bidi = bidi
        self.context = context
        self.console = bidi.logs.setdefault(context, [])

    def _navigate(self, url: str) -> None:
        self.bidi.command(
            "browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"}
        )

    def _eval(self, expression: str) -> str:
        result = self.bidi.command(
            "script.evaluate",
            {
                "expression": expression,
                "target": {"context": self.context},
                "awaitPromise": True,
            },
        )
        if result.get("type") != "success":
            raise RuntimeError(f"script failed in Firefox: {result}")
        return str(result["result"]["value"])


class Firefox(Engine):
    name = "firefox"
    binary = FIREFOX

    def __init__(self, prefs: dict[str, Any] | None = None, name: str | None = None) -> None:
        super().__init__()
        self.prefs = {**FIREFOX_PREFS, **(prefs or {})}
        if name:
            self.name = name

    def start(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="crossorigin-firefox-")
        with open(os.path.join(self.profile, "user.js"), "w", encoding="utf-8") as user_js:
            for key, value in self.prefs.items():
                user_js.write(f"user_pref({json.dumps(key)}, {json.dumps(value)});\n")
        self.process = subprocess.Popen(
            [FIREFOX, "--headless", "--no-remote", "--remote-debugging-port=0", *self._profile()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        found: queue.Queue[str] = queue.Queue()
        self.stderr_tail: list[str] = []

        def drain() -> None:
            # Keep reading so a full pipe never blocks Firefox.
            assert self.process.stderr is not None
            for line in self.process.stderr:
                self.stderr_tail = [*self.stderr_tail[-50:], line]
                match = re.search(r"WebDriver BiDi listening on (ws://\S+)", line)
                if match:
                    found.put(match.group(1))

        self.drainer = threading.Thread(target=drain, daemon=True)
        self.drainer.start()
        try:
            url = found.get(timeout=START_TIMEOUT)
        except queue.Empty:
            self.process.kill()
            raise RuntimeError(
                "Firefox did not announce WebDriver BiDi:\n" + "".join(self.stderr_tail)
            ) from None
        self.bidi = _Bidi(url + "/session")
        capabilities = self.bidi.command("session.new", {"capabilities": {}})["capabilities"]
        self.version = f"Firefox {capabilities['browserVersion']}"
        self.bidi.command("session.subscribe", {"events": ["log.entryAdded"]})

    def _profile(self) -> list[str]:
        return ["--profile", self.profile]

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.bidi.command("browser.close", {})
        self.bidi.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.drainer.join(timeout=10)
        assert self.process.stderr is not None
        self.process.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    @contextlib.contextmanager
    def session(self, *, fresh: bool = True) -> Iterator[Session]:
        # A user context has its own cookie jar and caches (Firefox's origin attributes).
        user_context = self.bidi.command("browser.createUserContext", {})["userContext"]
        context = self.bidi.command(
            "browsingContext.create", {"type": "tab", "userContext": user_context}
        )["context"]
        try:
            yield _FirefoxSession(self.bidi, context)
        finally:
            with contextlib.suppress(Exception):
                self.bidi.command("browsingContext.close", {"context": context})
            with contextlib.suppress(Exception):
                self.bidi.command("browser.removeUserContext", {"userContext": user_context})
            self.bidi.logs.pop(context, None)


# -- WebKitGTK over Selenium ---------------------------------------------------------------


class _WebKitSession(Session):
    def __init__(self, driver: Any) -> None:
        super().__init__()
        self.driver = driver

    def _navigate(self, url: str) -> None:
        self.driver.get(url)

    def _eval(self, expression: str) -> str:
        script = f"const done = arguments[arguments.length - 1]; ({expression}).then(done);"
        return str(self.driver.execute_async_script(script))


class WebKit(Engine):
    name = "webkit"
    binary = WEBKIT_DRIVER

    def available(self) -> bool:
        return os.path.exists(WEBKIT_DRIVER) and shutil.which(XVFB) is not None

    def start(self) -> None:
        read, write = os.pipe()
        self.xvfb = subprocess.Popen(
            [XVFB, "-displayfd", str(write), "-nolisten", "tcp", "-screen", "0", "1024x768x24"],
            pass_fds=[write],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        number = b""
        deadline = time.monotonic() + START_TIMEOUT
        while not number.endswith(b"\n"):
            chunk = os.read(read, 16)
            if not chunk or time.monotonic() > deadline:
                raise RuntimeError("Xvfb did not report its display")
            number += chunk
        os.close(read)
        self.display = ":" + number.decode().strip()
        self.driver = self._new_driver()
        capabilities = self.driver.capabilities
        self.version = f"WebKitGTK {capabilities.get('browserVersion', '?')}"

    def _new_driver(self) -> Any:
        from selenium import webdriver
        from selenium.webdriver.webkitgtk.service import Service

        # The explicit driver path keeps Selenium Manager from looking for a download.
        service = Service(
            executable_path=WEBKIT_DRIVER, env={**os.environ, "DISPLAY": self.display}
        )
        with warnings.catch_warnings():
            # Selenium's own WebKitGTK class still uses a deprecated RemoteConnection argument.
            warnings.filterwarnings("ignore", "setting remote_server_addr", DeprecationWarning)
            driver = webdriver.WebKitGTK(options=webdriver.WebKitGTKOptions(), service=service)
        driver.set_script_timeout(COMMAND_TIMEOUT)
        return driver

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.driver.quit()
        self.xvfb.terminate()
        self.xvfb.wait(timeout=10)

    @contextlib.contextmanager
    def session(self, *, fresh: bool = True) -> Iterator[Session]:
        # A new WebDriver session is a new MiniBrowser with an ephemeral data store (~1 s);
        # tests that do not depend on cookies or caches share the long-lived one.
        if not fresh:
            yield _WebKitSession(self.driver)
            return
        driver = self._new_driver()
        try:
            yield _WebKitSession(driver)
        finally:
            with contextlib.suppress(Exception):
                driver.quit()


def make(name: str) -> Engine:
    """The engine called *name*: chromium, firefox, firefox-strict or webkit."""
    if name == "chromium":
        return Chromium()
    if name == "firefox":
        return Firefox()
    if name == "firefox-strict":
        return Firefox({STRICT_AUTHORIZATION_PREF: False}, name="firefox-strict")
    if name == "webkit":
        return WebKit()
    raise ValueError(name)
