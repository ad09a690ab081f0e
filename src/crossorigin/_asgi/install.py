"""``install(app, ...)``: put crossorigin outside everything a framework runs.

``app.add_middleware(CORSMiddleware, ...)`` places the middleware where the framework puts user
middleware: inside Starlette's ``ServerErrorMiddleware`` (so an unhandled error becomes a 500
*before* the app's own 500 handler could run) and after any middleware added later (so an
authentication middleware added after it still sees preflights). :func:`install` instead makes
crossorigin the first thing every request meets, without changing the object the server imports
(``uvicorn main:app`` keeps working):

- Starlette and FastAPI: the app builds its middleware stack on its first call with
  ``build_middleware_stack()``; the installed hook wraps the stack that method returns.
- Litestar: ``app.asgi_handler`` (its exception handling around the router) is wrapped.
- Quart: ``app.asgi_app`` is wrapped, as Quart's documentation does for ASGI middleware.

Any other ASGI app is wrapped directly: ``app = CORSMiddleware(app, config=...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crossorigin._asgi.decisions import DecisionHook
from crossorigin._asgi.middleware import CORSMiddleware
from crossorigin._config.config import CORSConfig
from crossorigin._config.routes import RoutePolicies
from crossorigin._policy.live import LivePolicy
from crossorigin._types import ASGIApp, Receive, Scope, Send

_MARK = "__crossorigin_installed__"
_ALREADY = RuntimeError("crossorigin is already installed on this application")


async def _not_built(scope: Scope, receive: Receive, send: Send) -> None:
    # Only reachable if someone calls the middleware before the app has built its stack.
    raise RuntimeError("crossorigin.install(): the application's middleware stack is not built")


def install(
    app: Any,
    config: CORSConfig | None = None,
    *,
    routes: RoutePolicies | None = None,
    live: LivePolicy | None = None,
    shadow: CORSConfig | None = None,
    on_decision: DecisionHook | None = None,
    **kwargs: Any,
) -> CORSMiddleware:
    """Install crossorigin as the outermost layer of a Starlette, FastAPI, Litestar or Quart app.

    The configuration is validated at once: an invalid one raises :class:`ConfigError` here,
    at import time, before any server starts. Takes the same arguments as
    :class:`CORSMiddleware` and returns the installed middleware (its ``live`` handle
    reconfigures it). Call it once, before the app serves its first request.

    Raises:
        ConfigError: when the configuration is invalid.
        TypeError: for an app of another framework (wrap it: ``app = CORSMiddleware(app, ...)``).
        RuntimeError: when the app already serves, or crossorigin is already installed on it.

    .. versionadded:: 0.1
    """
    mw = CORSMiddleware(
        _not_built,
        config,
        routes=routes,
        live=live,
        shadow=shadow,
        on_decision=on_decision,
        **kwargs,
    )
    build: Callable[[], ASGIApp] | None = getattr(app, "build_middleware_stack", None)
    if callable(build) and hasattr(app, "middleware_stack"):
        # Starlette (and FastAPI, which overrides build_middleware_stack): the stack is built
        # lazily on the first call, ServerErrorMiddleware outermost. Ours goes around it.
        if getattr(build, _MARK, False):
            raise _ALREADY
        if app.middleware_stack is not None:
            raise RuntimeError(
                "crossorigin.install() must be called before the application starts serving"
            )

        def build_middleware_stack() -> ASGIApp:
            mw.app = build()
            return mw

        setattr(build_middleware_stack, _MARK, True)
        app.build_middleware_stack = build_middleware_stack
    elif hasattr(app, "asgi_handler") and hasattr(app, "asgi_router"):
        # Litestar: asgi_handler is the exception handling around the router; lifespan
        # events bypass it (Litestar.__call__ hands them to the router directly).
        if isinstance(app.asgi_handler, CORSMiddleware):
            raise _ALREADY
        mw.app = app.asgi_handler
        app.asgi_handler = mw
    elif callable(getattr(app, "asgi_app", None)):
        # Quart: __call__ delegates to asgi_app, which handles errors and lifespan.
        if isinstance(app.asgi_app, CORSMiddleware):
            raise _ALREADY
        mw.app = app.asgi_app
        app.asgi_app = mw
    else:
        raise TypeError(
            f"crossorigin.install() knows Starlette, FastAPI, Litestar and Quart apps, not "
            f"{type(app).__name__}; wrap the app instead: app = CORSMiddleware(app, config=...)"
        )
    return mw
