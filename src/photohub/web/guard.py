"""Cross-site requests refused before routing (docs/pages.md, "Forms and CSRF").

Every request that can change something (any method but GET, HEAD and OPTIONS) to a
path of the pages or their JSON must come from one of our own pages: its ``Origin`` and
``Sec-Fetch-Site`` are checked here by :func:`identity.origin_problem`, for every route,
so a route added later is covered without remembering to. (Each handler still checks the
per-browser token, which needs the body.) The protocols that authenticate each request
themselves and are called by servers and apps, not by our pages, are exempt: the REST
API and uploads (OAuth-signed; an API Explorer call with the session cookie is checked
by ``api/auth.py`` in full), the OAuth token endpoints, the WebSub hub and the
topic streams (no cookies: CORS ``*`` without credentials).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from photohub.domain.errors import Forbidden
from photohub.web import identity
from photohub.web.render import error_response

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Paths (exact, or a prefix when ending in "/") that other programs call.
EXEMPT = (
    "/services/rest",
    "/services/rest/",
    "/services/upload",
    "/services/upload/",
    "/services/replace",
    "/services/replace/",
    "/services/oauth/request_token",
    "/services/oauth/access_token",
    "/hub",
    "/push/topics/",
    "/cometd",
    "/cometd/",
)


def is_exempt(path: str) -> bool:
    return any(path == rule or (rule.endswith("/") and path.startswith(rule)) for rule in EXEMPT)


class CrossSiteGuard:
    """Refuses a state-changing request from another site with 403 (a page, or JSON for
    the JSON endpoints), before any handler reads it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] not in SAFE_METHODS
            and not is_exempt(scope["path"])
        ):
            request = Request(scope, receive)
            site = request.app.state.site
            problem = identity.origin_problem(request, site)
            if problem is not None:
                response = await error_response(request, Forbidden(problem, code="csrf"))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
