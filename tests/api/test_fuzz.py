"""Bad input never breaks the API.

Every registered method is fed generated arguments (hypothesis: text of every kind,
numbers, huge values, unicode, empty, markup, NUL), through GET and POST, the query and
the path form, in every format, by an API key without a login and by a logged-in user
(the API Explorer's session cookie + CSRF token). No answer may be a server error, and
every answer must be well-formed JSON, JSONP or XML with ``stat`` ok or fail.

Then fixed bad inputs get the right codes in both formats: 90 (missing argument), 91
(wrong type, out of range, unknown choice, huge ``per_page``), 99, 100, 111, 112. The
bad values are found from each argument's own type (a candidate its ``parse`` refuses),
so methods added later are covered without listing them here.

The budget is fixed and deterministic (``derandomize``, no example database): about
1,600 generated calls in all, shared out between the methods (8 to 25 each), on SQLite,
so the file stays well under a minute however many methods there are.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree as ET

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from photohub.api.args import Arg, ArgType, Integer, ListOf, Number
from photohub.api.formats import CALLBACK
from photohub.api.methods import registry
from photohub.api.registry import Method
from photohub.app import create_app
from photohub.config import Settings
from photohub.site import Site
from photohub.store import apps, sessions, users
from photohub.web import identity
from tests import factories
from tests.waiting import bounded
from tests.web.helpers import visit

TOTAL_EXAMPLES = 1600
# A method needing a login answers an API key alone with 99 before reading any argument:
# a few examples check that; the budget goes to calls that reach the arguments.
REFUSED_EXAMPLES = 3
_FULL_RUNS = len(registry) + sum(1 for m in registry if not m.needs_login)
EXAMPLES = max(8, min(25, TOTAL_EXAMPLES // max(1, _FULL_RUNS)))
FORMATS = ("json", "jsonp", "rest", "default")
CALLERS = ("key", "user")
# Fields the protocol reads; generated extra parameters keep clear of them.
RESERVED = {"method", "api_key", "format", "nojsoncallback", "jsoncallback", "api_sig"}

NASTY = (
    "0",
    "-1",
    "+1",
    "1.5",
    "1e309",
    "-1e309",
    "NaN",
    "inf",
    "9" * 19,
    "9" * 40,
    "-" + "9" * 30,
    "0x10",
    "\uff11\uff12\uff13",  # fullwidth digits
    "null",
    "true",
    "[]",
    "{}",
    "%00",
    "\x00",
    "a\x00b",
    "' OR 1=1 --",
    '"; DROP TABLE photos; --',
    "<rsp stat='ok'/>",
    "]]>",
    "&amp;",
    "\u202e\u200b\ufeff",
    "\ufffe\uffff",
    "\U0001d518\U0001d52b\U0001d526 🎉",  # mathematical letters, emoji
    "me",
    "ME",
    "12345678@N01",
    "0@N00",
    "1,2,3",
    ",,,",
    " , ",
    "a b",
    "\t\n\r",
    "2026-02-30",
    "2026-12-01 25:61:61",
    "-99999999999",
    "💥" * 300,
)


# ---- the site, shared by the whole module -------------------------------------------


@dataclass
class Env:
    runner: asyncio.Runner
    site: Site
    key: str
    anonymous: httpx.AsyncClient
    logged_in: httpx.AsyncClient
    csrf: str
    user_ready: str  # "" when the logged-in caller works; else why not
    nsid: str

    def fresh_photos(self) -> tuple[str, ...]:
        """Ids of new photos (the user's and another's, public and not) for one
        method's examples: earlier methods may have deleted or changed the others."""
        return self.runner.run(self._fresh_photos())

    async def _fresh_photos(self) -> tuple[str, ...]:
        ids: list[str] = []
        async with self.site.db.write() as conn:
            owner = await users.by_nsid(conn, self.nsid)
            other = await users.by_username(conn, "someone")
            for who in (owner, other):
                for visibility in ("public", "private", "friends"):
                    photo_id = await factories.photo(
                        conn, who, title=visibility, visibility=visibility, tags="a b x:y=z"
                    )
                    ids.append(str(photo_id))
        return tuple(ids)

    def call(
        self,
        caller: str,
        params: dict[str, str],
        *,
        http_method: str = "GET",
        path_form: bool = False,
    ) -> httpx.Response:
        return self.runner.run(self._call(caller, params, http_method, path_form))

    async def _call(
        self, caller: str, params: dict[str, str], http_method: str, path_form: bool
    ) -> httpx.Response:
        params = dict(params)
        if caller == "user":
            client, headers = self.logged_in, {"x-csrf-token": self.csrf}
            params["api_key"] = "explorer"
        else:
            client, headers = self.anonymous, {}
            params.setdefault("api_key", self.key)
        path = "/services/rest/"
        if path_form:
            path += quote(params.pop("method", ""), safe="")
        if http_method == "POST":
            return await client.post(path, data=params, headers=headers)
        return await client.get(path, params=params, headers=headers)


async def _start(data_dir: Path) -> tuple[Site, str, str, str]:
    site = Site(Settings(data_dir=data_dir, admin_token="fuzz-admin-token"))
    await site.start(run_tasks=False)
    async with site.db.write() as conn:
        owner = await factories.user(conn, "fuzzer")
        other = await factories.user(conn, "someone")
        await factories.contact(conn, other, owner, friend=True)
        app = await apps.create(conn, int(owner["id"]), "fuzz")
        token = await sessions.create(conn, int(owner["id"]))
    return site, str(app["api_key"]), token, str(owner["nsid"])


async def _log_in(env: Env) -> str:
    """Open an Explorer page with the session cookie (as a browser would), keep its CSRF
    token, and check that the API then knows the user. Returns why not, or ''."""
    env.csrf = await visit(env.logged_in, "/services/api/explorer/flickr.test.login")
    response = await env._call(
        "user",
        {"method": "flickr.test.login", "format": "json", "nojsoncallback": "1"},
        "GET",
        False,
    )
    body = response.json()
    if body.get("stat") == "ok":
        return ""
    return f"the Explorer does not call as the logged-in user yet: {body}"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    runner = asyncio.Runner()
    site, key, token, nsid = runner.run(_start(tmp_path_factory.mktemp("fuzz") / "data"))
    app = create_app(site=site, manage_site=False)
    base = "http://testserver"
    anonymous = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base)
    cookie = getattr(identity, "SESSION_COOKIE", "photohub_session")
    logged_in = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=base, cookies={cookie: token}
    )
    environment = Env(runner, site, key, anonymous, logged_in, "", "", nsid)
    try:
        environment.user_ready = runner.run(_log_in(environment))
        yield environment
    finally:
        runner.run(anonymous.aclose())
        runner.run(logged_in.aclose())
        runner.run(bounded(site.close(), 30, "the site to close"))
        runner.close()


def caller_or_skip(env: Env, caller: str) -> None:
    if caller == "user" and env.user_ready:
        pytest.skip(env.user_ready)


# ---- what every answer must be ------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    stat: str
    code: int | None
    message: str


def outcome(response: httpx.Response, fmt: str, callback: str | None = None) -> Outcome:
    """The answer read strictly: HTTP 200, the format asked for, ``stat`` ok or fail."""
    assert response.status_code == 200, (response.status_code, response.text[:500])
    kind = response.headers.get("content-type", "")
    if fmt in ("rest", "default"):
        assert kind.startswith("text/xml"), kind
        root = ET.fromstring(response.content)
        assert root.tag == "rsp"
        stat = root.get("stat")
        if stat == "ok":
            return Outcome("ok", None, "")
        assert stat == "fail", response.text[:500]
        err = root.find("err")
        assert err is not None, response.text[:500]
        code, message = err.get("code", ""), err.get("msg")
        assert code.isdigit() and message, response.text[:500]
        return Outcome("fail", int(code), message)
    text = response.text
    if fmt == "jsonp":
        name = (callback or "").strip()
        expected = name if CALLBACK.match(name) else "jsonFlickrApi"
        assert kind.startswith("text/javascript"), kind
        assert text.startswith(expected + "(") and text.endswith(")"), text[:200]
        text = text[len(expected) + 1 : -1]
    else:
        assert kind.startswith("application/json"), kind
    body = json.loads(text)
    assert isinstance(body, dict), text[:500]
    if body.get("stat") == "ok":
        return Outcome("ok", None, "")
    assert body.get("stat") == "fail", text[:500]
    assert isinstance(body.get("code"), int) and isinstance(body.get("message"), str), text[:500]
    return Outcome("fail", body["code"], body["message"])


def format_params(fmt: str, callback: str | None = None) -> dict[str, str]:
    if fmt == "json":
        return {"format": "json", "nojsoncallback": "1"}
    if fmt == "jsonp":
        return (
            {"format": "json"} if callback is None else {"format": "json", "jsoncallback": callback}
        )
    if fmt == "rest":
        return {"format": "rest"}
    return {}


# ---- generated arguments ------------------------------------------------------------

GOOD_VALUES = ("1", "me", "x", "2026-01-01 00:00:00", "0", "any", "a")


def refuses(arg_type: ArgType, raw: str) -> bool:
    try:
        arg_type.parse(raw)
    except ValueError:
        return True
    return False


def values_for(arg_type: ArgType) -> st.SearchStrategy[str]:
    """Raw text for one argument: plausible values from its type and schema, and
    everything else."""
    options: list[st.SearchStrategy[str]] = [
        st.text(max_size=30),
        st.sampled_from(NASTY),
        st.integers(-(10**25), 10**25).map(str),
        st.floats().map(repr),
        st.integers(1000, 12000).map(lambda n: "x" * n),
        st.integers(200, 3000).map(lambda n: "é" * n),
        st.just(""),
        st.just(" "),
    ]
    schema = arg_type.schema()
    if "enum" in schema:
        options.append(st.sampled_from([str(v) for v in schema["enum"]]))
    if "pattern" in schema:
        try:
            re.compile(schema["pattern"])
            options.append(st.from_regex(schema["pattern"], fullmatch=True))
        except re.error:
            pass
    if isinstance(arg_type, Integer):
        low, high = arg_type.minimum, arg_type.maximum
        options.append(st.integers(low - 2, min(high + 2, low + 10**6)).map(str))
        options.append(st.sampled_from([str(low - 1), str(high), str(high + 1)]))
    if isinstance(arg_type, Number):
        floor = arg_type.minimum if math.isfinite(arg_type.minimum) else -1e6
        top = arg_type.maximum if math.isfinite(arg_type.maximum) else 1e6
        options.append(st.floats(floor - 1, top + 1).map(str))
    if isinstance(arg_type, ListOf):
        items = st.lists(values_for(arg_type.item), max_size=arg_type.max_items + 2)
        options.append(items.map(arg_type.separator.join))
    return st.one_of(options)


def plausible(arg_type: ArgType, ids: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Text the type accepts (mostly), so that calls get past validation into the
    method: ids of photos that exist, valid choices, numbers in range, short text."""
    options: list[st.SearchStrategy[str]] = [
        st.sampled_from([*ids, *GOOD_VALUES]),
        st.text(min_size=1, max_size=20),
    ]
    schema = arg_type.schema()
    if "enum" in schema:
        options.append(st.sampled_from([str(v) for v in schema["enum"]]))
    if isinstance(arg_type, Integer):
        low, high = arg_type.minimum, arg_type.maximum
        options.append(st.integers(low, min(high, low + 1000)).map(str))
    if isinstance(arg_type, Number):
        floor = arg_type.minimum if math.isfinite(arg_type.minimum) else -1e6
        top = arg_type.maximum if math.isfinite(arg_type.maximum) else 1e6
        options.append(st.floats(floor, top).map(str))
    if isinstance(arg_type, ListOf):
        items = st.lists(plausible(arg_type.item, ids), max_size=min(5, arg_type.max_items))
        options.append(items.map(arg_type.separator.join))
    return st.one_of(options).filter(lambda raw: not refuses(arg_type, raw))


def weighted(arg: Arg, ids: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A required argument is mostly plausible (else nearly every call stops at 90 or
    91); an optional one half and half."""
    good, anything = plausible(arg.type, ids), values_for(arg.type)
    # one_of picks a branch evenly, and would flatten the branches of ``anything`` into
    # its own: the map keeps them one branch. Plausible first: hypothesis tries its
    # simplest choices first.
    return st.one_of([good] * (3 if arg.required else 1) + [anything.map(str)])


def params_for(method: Method, ids: tuple[str, ...]) -> st.SearchStrategy[dict[str, str]]:
    own = st.fixed_dictionaries(
        {a.name: weighted(a, ids) for a in method.args if a.required},
        optional={a.name: weighted(a, ids) for a in method.args if not a.required},
    )
    # Never a protocol field (nor oauth_*: a signature is OAuth's business, not this test's).
    names = st.text(alphabet="abcdefxyz_019", min_size=1, max_size=10).filter(
        lambda n: n not in RESERVED and not n.startswith("oauth")
    )
    extras = st.dictionaries(names, st.text(max_size=20), max_size=2)
    return st.builds(lambda e, o: {**e, **o}, extras, own)


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("name", registry.names())
def test_generated_arguments_never_break_a_method(env: Env, name: str, caller: str) -> None:
    caller_or_skip(env, caller)
    method = registry.get(name)
    assert method is not None

    examples = REFUSED_EXAMPLES if caller == "key" and method.needs_login else EXAMPLES

    @settings(FUZZ_SETTINGS, max_examples=examples)
    @given(
        params=params_for(method, env.fresh_photos()),
        fmt=st.sampled_from(FORMATS),
        http_method=st.sampled_from(("GET", "POST")),
        path_form=st.booleans(),
        callback=st.one_of(
            st.none(), st.sampled_from(("cb", "a.b", "1x", "")), st.text(max_size=8)
        ),
    )
    def call_once(
        params: dict[str, str], fmt: str, http_method: str, path_form: bool, callback: str | None
    ) -> None:
        sent = {"method": name, **params, **format_params(fmt, callback)}
        response = env.call(caller, sent, http_method=http_method, path_form=path_form)
        found = outcome(response, fmt, callback)
        # The key (or the Explorer login) always got the call through to the method.
        assert found.code != 100, found
        if examples == REFUSED_EXAMPLES:
            assert found.code == 99, found

    call_once()


# ---- fixed bad inputs ---------------------------------------------------------------

BOTH = ("json", "rest")
# Candidates for a refused value; each argument is tried with those its type refuses.
BAD_VALUES = (
    "not a value ☃",
    "-1",
    "0",
    "1.5",
    "99999999999999999999",
    "1" + "0" * 40,
    "100000000000",
    "__no_such_choice__",
    "2026-13-45 99:99:99",
    "x" * 25_000,
)


def good_value(arg: Arg, nsid: str) -> str | None:
    """Some text the argument's type accepts, or None."""
    schema = arg.type.schema()
    candidates = [*GOOD_VALUES, nsid, *(str(v) for v in schema.get("enum", []))]
    if isinstance(arg.type, Integer):
        candidates.insert(0, str(arg.type.minimum))
    return next((raw for raw in candidates if not refuses(arg.type, raw)), None)


def caller_for(env: Env, method: Method) -> str:
    """The logged-in caller when it works; else an API key, which only methods needing
    no login get past the permission check with."""
    if not env.user_ready:
        return "user"
    if method.needs_login:
        pytest.skip(env.user_ready)
    return "key"


def methods_where(test: Any) -> list[str]:
    return [m.name for m in registry if test(m)] or ["(none yet)"]


def method_or_skip(name: str) -> Method:
    method = registry.get(name)
    if method is None:
        pytest.skip("no registered method has such an argument yet")
    return method


@pytest.mark.parametrize("fmt", BOTH)
@pytest.mark.parametrize("path_form", [False, True])
def test_an_unknown_method_is_112(env: Env, fmt: str, path_form: bool) -> None:
    for name in ("flickr.no.such", "", "FLICKR.TEST.ECHO", "x" * 300, "flickr.test.echo\x00"):
        if path_form and not name:
            continue
        params = {"method": name, **format_params(fmt)}
        found = outcome(env.call("key", params, path_form=path_form), fmt)
        assert found.code == 112, (name, found)
        assert found.message.startswith("Method ") and found.message.endswith(" not found")
        assert len(found.message) < 200


@pytest.mark.parametrize("value", ["xml", "JSON", "php_serial", "jsonp", "\x00", "x" * 300])
def test_an_unknown_format_is_111_in_xml(env: Env, value: str) -> None:
    params = {"method": "flickr.test.echo", "format": value, "nojsoncallback": "1"}
    for http_method in ("GET", "POST"):
        found = outcome(env.call("key", params, http_method=http_method), "rest")
        assert found.code == 111, found
        assert len(found.message) < 100


@pytest.mark.parametrize("fmt", BOTH)
def test_no_or_a_wrong_api_key_is_100(env: Env, fmt: str) -> None:
    for key in ("", "   ", "0" * 32, "x" * 5000, "' OR 1=1 --"):
        params = {"method": "flickr.test.echo", "api_key": key, **format_params(fmt)}
        found = outcome(env.call("key", params), fmt)
        assert found.code == 100, (key, found)


@pytest.mark.parametrize("fmt", BOTH)
def test_an_explorer_call_with_a_forged_csrf_token_is_100(env: Env, fmt: str) -> None:
    params = {"method": "flickr.test.echo", "api_key": "explorer", **format_params(fmt)}
    response = env.runner.run(
        env.anonymous.get("/services/rest/", params=params, headers={"x-csrf-token": "forged"})
    )
    assert outcome(response, fmt).code == 100


@pytest.mark.parametrize("fmt", BOTH)
@pytest.mark.parametrize("name", methods_where(lambda m: m.needs_login))
def test_a_login_method_called_without_login_is_99(env: Env, name: str, fmt: str) -> None:
    method_or_skip(name)
    found = outcome(env.call("key", {"method": name, **format_params(fmt)}), fmt)
    assert found.code == 99, found
    assert found.message.startswith("Insufficient permissions")


@pytest.mark.parametrize("fmt", BOTH)
@pytest.mark.parametrize("name", methods_where(lambda m: any(a.required for a in m.args)))
def test_a_missing_required_argument_is_90(env: Env, name: str, fmt: str) -> None:
    method = method_or_skip(name)
    caller = caller_for(env, method)
    first = next(a for a in method.args if a.required)
    for blank in (None, "", "   "):
        params = {"method": name, **format_params(fmt)}
        if blank is not None:
            params[first.name] = blank
        for http_method in ("GET", "POST"):
            found = outcome(env.call(caller, params, http_method=http_method), fmt)
            assert found == Outcome("fail", 90, f"Missing required argument: {first.name}")


@pytest.mark.parametrize("name", methods_where(lambda m: bool(m.args)))
def test_every_refused_value_is_91_naming_its_argument(env: Env, name: str) -> None:
    """Wrong types, out-of-range numbers, unknown choices, overlong text: whatever the
    argument's type refuses is 91, with the other arguments valid."""
    method = method_or_skip(name)
    caller = caller_for(env, method)
    valid: dict[str, str] = {}
    for arg in method.args:
        if arg.required:
            value = good_value(arg, env.nsid)
            if value is None:
                pytest.skip(f"no known value suits {name} {arg.name}")
            valid[arg.name] = value
    tried = 0
    for arg in method.args:
        bad = [raw for raw in BAD_VALUES if refuses(arg.type, raw)][:4]
        for index, raw in enumerate(bad):
            for fmt in BOTH if index == 0 else ("json",):
                params = {"method": name, **valid, arg.name: raw, **format_params(fmt)}
                http_method = "POST" if len(raw) > 1000 else "GET"
                found = outcome(env.call(caller, params, http_method=http_method), fmt)
                assert found.code == 91, (arg.name, raw[:50], found)
                assert found.message.startswith(f"Invalid argument {arg.name}: it "), found
                assert len(found.message) < 300
                tried += 1
    assert tried or all(not refuses(a.type, raw) for a in method.args for raw in BAD_VALUES)


@pytest.mark.parametrize("fmt", BOTH)
@pytest.mark.parametrize("name", methods_where(lambda m: any(a.name == "per_page" for a in m.args)))
def test_a_huge_per_page_is_91(env: Env, name: str, fmt: str) -> None:
    method = method_or_skip(name)
    caller = caller_for(env, method)
    valid = {a.name: good_value(a, env.nsid) or "1" for a in method.args if a.required}
    for huge in ("1000000", "99999999999999999999", "1" + "0" * 100):
        params = {"method": name, **valid, "per_page": huge, **format_params(fmt)}
        found = outcome(env.call(caller, params), fmt)
        assert found.code == 91 and "per_page" in found.message, found


@pytest.mark.parametrize("fmt", BOTH)
def test_a_body_over_the_limit_is_refused_cleanly(env: Env, fmt: str) -> None:
    params = {"method": "flickr.test.echo", "big": "x" * (1024 * 1024 + 10), **format_params(fmt)}
    found = outcome(env.call("key", params, http_method="POST"), "rest")
    assert found.code == 91 and "too large" in found.message
