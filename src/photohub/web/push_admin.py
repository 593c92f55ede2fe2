"""The host's view of the push hub (``/admin/push``): every subscription with its lease
and delivery state (queue depth, failures in a row, last success, last failure and
why), filtered by state and paged; the host can end one (WebSub subscribers are told
with ``hub.mode=denied``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from photohub.push.intent import deny
from photohub.store import subscriptions as subs
from photohub.web import identity
from photohub.web.render import page, site_of

PER_PAGE = 100


def _number(text: str | None, default: int) -> int:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 9 else default


async def subscriptions(request: Request) -> Response:
    site = site_of(request)
    if not identity.is_admin(request, site):
        return RedirectResponse("/admin/login", status_code=303)
    state = request.query_params.get("state") or None
    if state is not None and state not in subs.STATES:
        return await page(
            request,
            "message",
            status=400,
            title="No such state",
            message=f"Subscriptions are {', '.join(subs.STATES)}; there is no {state[:40]!r}.",
        )
    number = max(1, _number(request.query_params.get("page"), 1))
    async with site.db.read() as conn:
        rows, total = await subs.listing(
            conn, state=state, limit=PER_PAGE, offset=(number - 1) * PER_PAGE
        )
    states = await site.queues.states([int(row["id"]) for row in rows])
    return await page(
        request,
        "admin_push",
        rows=rows,
        states=states,
        total=total,
        state_filter=state,
        states_known=subs.STATES,
        page_number=number,
        pages=max(1, -(-total // PER_PAGE)),
        base_url=site.base_url,
    )


async def end(request: Request) -> Response:
    """POST: the host ends a subscription (state ``denied``)."""
    site = site_of(request)
    if not identity.is_admin(request, site):
        return RedirectResponse("/admin/login", status_code=303)
    form = await request.form(max_files=0, max_fields=5)
    identity.require_csrf(
        request, site, identity.viewer(request, site), str(form.get("csrf_token") or "")
    )
    subscription_id = _number(str(request.path_params.get("subscription_id", "")), 0)
    async with site.db.read() as conn:
        row = await subs.get(conn, subscription_id)
    if row is None:
        return await page(
            request,
            "message",
            status=404,
            title="No such subscription",
            message="It may have ended or been removed meanwhile.",
        )
    if row["state"] in ("pending", "active"):
        await deny(site, row, row["topic"], "ended by the host")
        await site.queues.drop(subscription_id)
    return RedirectResponse("/admin/push", status_code=303)
