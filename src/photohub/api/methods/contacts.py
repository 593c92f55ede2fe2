"""flickr.contacts.*: the caller's contact list with its friend and family marks, anyone's
public contact list, and (photohub additions) adding and removing contacts."""

from __future__ import annotations

from sqlalchemy.engine import RowMapping

from photohub.actions import contacts as contact_actions
from photohub.api.args import NSID, Arg, Choice, Flag, Integer
from photohub.api.call import Call
from photohub.api.common import PAGE, UserRef, find_user
from photohub.api.outcomes import flickr_errors
from photohub.api.persons import person_item
from photohub.api.registry import Result, registry
from photohub.store import contacts

USER_NOT_FOUND = (1, "User not found: the user id passed did not match an account.")
CANNOT_ADD_SELF = (2, "Cannot add yourself: you cannot be your own contact.")
NOT_A_CONTACT = (2, "Not a contact: the user is not in your contacts.")
CONTACTS_PER_PAGE = Arg(
    "per_page", Integer(1, 1000), doc="Contacts per page (at most 1000).", default=1000
)


def contacts_page(
    total: int, rows: list[RowMapping], page: int, per_page: int, *, marks: bool
) -> Result:
    items = []
    for row in rows:
        item = {**person_item(row), "ignored": 0}
        if not marks:
            del item["realname"]  # Flickr's public list gives no real names
        else:
            item.update(
                rev_ignored=0,
                friend=int(bool(row["is_friend"])),
                family=int(bool(row["is_family"])),
                location="",
            )
        items.append(item)
    return {
        "contacts": {
            "page": page,
            "pages": (total + per_page - 1) // per_page,
            "per_page": per_page,
            "perpage": per_page,
            "total": total,
            "contact": items,
        }
    }


@registry.method(
    "flickr.contacts.getList",
    "Get a list of contacts for the calling user, with the friend and family marks.",
    args=(
        Arg(
            "filter",
            Choice(contacts.FILTERS),
            doc="friends (not family), family (not friends), both, or neither.",
        ),
        PAGE,
        CONTACTS_PER_PAGE,
        Arg("sort", Choice(contacts.SORTS), doc="By name, or by time added.", default="name"),
    ),
    perms="read",
)
async def get_list(call: Call) -> Result:
    user = call.require_user("read")
    args = call.args
    async with call.site.db.read() as conn:
        total, rows = await contacts.page(
            conn,
            int(user["id"]),
            only=args["filter"],
            sort=args["sort"],
            page=args["page"],
            per_page=args["per_page"],
        )
    return contacts_page(total, rows, args["page"], args["per_page"], marks=True)


@registry.method(
    "flickr.contacts.getPublicList",
    "Get the contact list of a user (without the friend and family marks).",
    args=(
        Arg("user_id", UserRef(), required=True, doc="Whose contacts (me for yourself)."),
        PAGE,
        CONTACTS_PER_PAGE,
    ),
    errors=(USER_NOT_FOUND,),
    perms="read",
    optional_auth=True,
)
async def get_public_list(call: Call) -> Result:
    args = call.args
    async with call.site.db.read() as conn:
        owner = await find_user(conn, call, args["user_id"], *USER_NOT_FOUND)
        total, rows = await contacts.page(
            conn, int(owner["id"]), page=args["page"], per_page=args["per_page"]
        )
    return contacts_page(total, rows, args["page"], args["per_page"], marks=False)


@registry.method(
    "flickr.contacts.add",
    "Add a user to your contacts, or change the friend and family marks of a contact.",
    args=(
        Arg("user_id", NSID(), required=True, doc="The user to add."),
        Arg("friend", Flag(), doc="1 to mark them a friend.", default=False),
        Arg("family", Flag(), doc="1 to mark them family.", default=False),
    ),
    errors=(USER_NOT_FOUND, CANNOT_ADD_SELF),
    perms="write",
    description="A photohub addition (Flickr has no public method for it). The marks "
    "decide which of your photos the contact may see: friends see photos shared with "
    "friends, family those shared with family, every contact those shared with "
    "contacts. Calling it again for a contact replaces the marks; photos that narrower "
    "marks take away from the contact get new file URLs.",
)
async def add(call: Call) -> Result:
    call.require_user("write")
    args = call.args
    with flickr_errors({"user_not_found": USER_NOT_FOUND, "self": CANNOT_ADD_SELF}):
        await contact_actions.add(
            call.site,
            call.viewer,
            args["user_id"],
            friend=bool(args["friend"]),
            family=bool(args["family"]),
        )
    return {
        "contact": {
            "nsid": args["user_id"],
            "friend": int(bool(args["friend"])),
            "family": int(bool(args["family"])),
        }
    }


@registry.method(
    "flickr.contacts.remove",
    "Remove a user from your contacts.",
    args=(Arg("user_id", NSID(), required=True, doc="The contact to remove."),),
    errors=(USER_NOT_FOUND, NOT_A_CONTACT),
    perms="write",
    description="A photohub addition. The former contact at once stops seeing the photos "
    "you share with contacts, friends or family; those photos get new file URLs, so the "
    "ones they already hold answer 404.",
)
async def remove(call: Call) -> Result:
    call.require_user("write")
    with flickr_errors({"user_not_found": USER_NOT_FOUND, "not_a_contact": NOT_A_CONTACT}):
        await contact_actions.remove(call.site, call.viewer, call.args["user_id"])
    return {}
