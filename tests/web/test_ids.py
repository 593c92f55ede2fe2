"""Ids out of the database's range (issue 11, finding 10): ``PATCH /api/photos/2**63``
answered 500 with a traceback. Every id in a route or an API argument is range-checked
before it reaches the database: a clean 404 (or Flickr's "not found")."""

from __future__ import annotations

import random
import re

import httpx
import pytest
from starlette.convertors import IntegerConvertor
from starlette.routing import Route

from photohub.api.args import MAX_ROW_ID, Id, row_id
from photohub.app import RowId, routes
from photohub.site import Site
from photohub.store import users
from tests.api.client import api_for
from tests.web.helpers import login_host, visit

pytestmark = pytest.mark.anyio

OUT_OF_RANGE = [
    str(2**63),
    str(2**64),
    "-1",
    "0",
    "00",
    "+5",
    "9" * 19,
    "9" * 30,
    "1" * 5000,
    "\u0661\u0662\u0663",  # Arabic-Indic digits
]


def test_no_route_takes_an_unbounded_int() -> None:
    for route in routes:
        if isinstance(route, Route):
            for name, convertor in route.param_convertors.items():
                assert not isinstance(convertor, IntegerConvertor), (route.path, name)


def test_the_id_convertor_matches_exactly_1_to_2_63_minus_1() -> None:
    pattern = re.compile(f"^{RowId.regex}$")
    chooser = random.Random(11)
    inside = [1, 9, 10, MAX_ROW_ID, MAX_ROW_ID - 1, 10**18, 10**18 - 1]
    inside += [chooser.randint(1, MAX_ROW_ID) for _ in range(2000)]
    outside = [0, MAX_ROW_ID + 1, 2**64, 10**19, 10**19 - 1]
    outside += [chooser.randint(MAX_ROW_ID + 1, 10**19 - 1) for _ in range(2000)]
    for value in inside:
        assert pattern.match(str(value)), value
    for value in outside:
        assert not pattern.match(str(value)), value
    for text in OUT_OF_RANGE:
        assert not pattern.match(text), text


def test_rest_ids_beyond_the_range_name_no_object() -> None:
    assert Id().parse(str(MAX_ROW_ID)) == MAX_ROW_ID
    for text in (str(2**63), str(2**64), "9" * 30, "1" * 5000):
        assert Id().parse(text) == 0
    for text in ("-1", "+5", "\u0661\u0662\u0663", "1e3"):
        with pytest.raises(ValueError):
            Id().parse(text)
    assert row_id("\u0661\u0662\u0663") is None and row_id("") is None
    assert row_id("0" * 40 + "7") == 7


@pytest.mark.parametrize("value", OUT_OF_RANGE)
async def test_page_json_routes_answer_404_for_ids_out_of_range(
    client: httpx.AsyncClient, value: str
) -> None:
    await login_host(client)
    token = await visit(client, "/mine")
    headers = {"x-csrf-token": token, "accept": "application/json"}
    for method, path in (
        ("PATCH", f"/api/photos/{value}"),
        ("DELETE", f"/api/photos/{value}"),
        ("POST", f"/api/admin/photos/{value}/approve"),
    ):
        response = await client.request(method, path, headers=headers, json={"title": "x"})
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["stat"] == "fail"
    response = await client.post(
        f"/admin/push/{value}/end", data={"csrf_token": token}, headers={"accept": "text/html"}
    )
    assert response.status_code == 404
    assert "There is nothing here" in response.text


async def test_the_largest_id_reaches_the_database_safely(client: httpx.AsyncClient) -> None:
    await login_host(client)
    token = await visit(client, "/mine")
    for method in ("PATCH", "DELETE"):
        response = await client.request(
            method, f"/api/photos/{MAX_ROW_ID}", headers={"x-csrf-token": token}, json={}
        )
        assert response.status_code == 404, response.text


@pytest.mark.parametrize("value", [str(2**63), str(2**64), "9" * 30, "1" * 5000, "0"])
async def test_rest_answers_photo_not_found_for_ids_out_of_range(
    site: Site, client: httpx.AsyncClient, value: str
) -> None:
    api = await api_for(site, client)
    message = await api.fail("flickr.photos.getInfo", 1, photo_id=value)
    assert message.startswith("Photo not found")
    async with site.db.write() as conn:
        from tests import factories

        owner = await factories.user(conn, "ids-owner")
        assert await users.get(conn, int(owner["id"])) is not None
    signed = await api_for(site, client, owner)
    await signed.fail("flickr.photos.delete", 1, photo_id=value)
    if len(value) <= 40:  # a longer tag_id is error 91 (longer than 60 characters)
        await signed.fail("flickr.photos.removeTag", 2, tag_id=f"{value}-1")
        await signed.fail("flickr.photos.removeTag", 2, tag_id=f"1-{value}")
