"""flickr.commons.*: the institutions sharing photos with no known copyright
restrictions (accounts marked ``users.is_institution``)."""

from __future__ import annotations

from photohub.api.call import Call
from photohub.api.listing import unix_text
from photohub.api.registry import Result, registry
from photohub.store import people


@registry.method(
    "flickr.commons.getInstitutions",
    "Retrieves a list of the current Commons institutions.",
    perms="read",
    optional_auth=True,
    description="date_launch is when the institution's account was made (Unix time). "
    "urls is empty: photohub keeps no site or licence links for accounts yet.",
)
async def get_institutions(call: Call) -> Result:
    async with call.site.db.read() as conn:
        rows = await people.institutions(conn)
    return {
        "institutions": {
            "institution": [
                {
                    "nsid": row["nsid"],
                    "date_launch": unix_text(row["created_at"]),
                    "name": {"_content": row["realname"] or row["username"]},
                    "urls": {"url": []},
                }
                for row in rows
            ]
        }
    }
