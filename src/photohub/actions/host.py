"""What the host changes: pausing uploads, moderation, wall pacing."""

from __future__ import annotations

from photohub.domain.errors import PhotohubError
from photohub.site import HostState, Site, host_state_from
from photohub.store import events
from photohub.store import site as site_store

TRANSITIONS = ("fade", "slide", "none")


async def set_uploads_paused(site: Site, paused: bool) -> HostState:
    """Pause or resume uploads; open upload pages switch at once (event stream)."""
    async with site.db.write() as conn:
        current = host_state_from(await site_store.get_all(conn), site.settings)
        if current.uploads_paused == paused:
            return current
        await site_store.put(conn, "uploads_paused", paused)
        event = await events.append(
            conn, "uploads.paused" if paused else "uploads.resumed", {"uploads_paused": paused}
        )
        state = host_state_from(await site_store.get_all(conn), site.settings)
    await site.announce([event])
    return state


async def configure(
    site: Site,
    *,
    moderation: bool | None = None,
    wall_interval: object = None,
    wall_transition: object = None,
) -> HostState:
    """Change moderation mode and wall pacing; walls pick it up live."""
    values: dict[str, object] = {}
    if moderation is not None:
        values["moderation"] = bool(moderation)
    if wall_interval is not None:
        try:
            interval = int(str(wall_interval))
        except ValueError:
            interval = 0
        if not 2 <= interval <= 600:
            raise PhotohubError("The interval must be a whole number of seconds from 2 to 600.")
        values["wall_interval"] = interval
    if wall_transition is not None:
        if wall_transition not in TRANSITIONS:
            raise PhotohubError("The transition must be one of: " + ", ".join(TRANSITIONS) + ".")
        values["wall_transition"] = wall_transition
    async with site.db.write() as conn:
        for key, value in values.items():
            await site_store.put(conn, key, value)
        state = host_state_from(await site_store.get_all(conn), site.settings)
        event = await events.append(conn, "settings.changed", state.as_dict())
    await site.announce([event])
    return state
