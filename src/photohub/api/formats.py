"""Response formats: Flickr's REST XML (``format=rest``, the default), JSON, and JSONP.

A method returns one structure; both formats come from it, the way Flickr's do: a dict
is an element whose scalar values are attributes, whose dicts are child elements, whose
lists are repeated child elements, and whose ``_content`` is the element's text.
``{"photo": {"id": "5", "title": {"_content": "Hi"}}}`` is
``<photo id="5"><title>Hi</title></photo>`` in XML and itself in JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree as ET

from starlette.responses import Response

from photohub.api.errors import ApiError

FORMATS = ("rest", "json")
CALLBACK = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$.]{0,63}$")
# Characters XML 1.0 cannot carry at all, even escaped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return _XML_INVALID.sub("", str(value))


def _element(name: str, value: Any) -> ET.Element:
    element = ET.Element(name)
    if not isinstance(value, dict):
        element.text = _scalar(value)
        return element
    for key, item in value.items():
        if item is None:
            continue
        if key == "_content":
            element.text = _scalar(item)
        elif isinstance(item, dict):
            element.append(_element(key, item))
        elif isinstance(item, list):
            element.extend(_element(key, entry) for entry in item)
        else:
            element.set(key, _scalar(item))
    return element


def _xml_document(rsp: ET.Element) -> bytes:
    body = ET.tostring(rsp, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8" ?>\n' + body + "\n").encode()


def render(result: dict[str, Any], fmt: str, callback: str | None) -> Response:
    """A successful call in the requested format."""
    if fmt == "json":
        return _json({"stat": "ok", **result}, callback)
    return Response(_xml_document(_element("rsp", {"stat": "ok", **result})), media_type=XML)


def render_error(error: ApiError, fmt: str, callback: str | None) -> Response:
    """A failed call: HTTP 200, as Flickr answers, with ``stat=fail``."""
    if fmt == "json":
        return _json({"stat": "fail", "code": error.code, "message": error.message}, callback)
    rsp = ET.Element("rsp", stat="fail")
    ET.SubElement(rsp, "err", code=str(error.code), msg=_scalar(error.message))
    return Response(_xml_document(rsp), media_type=XML)


XML = "text/xml; charset=utf-8"


def _json(payload: dict[str, Any], callback: str | None) -> Response:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
    if callback is None:
        return Response(text, media_type="application/json")
    return Response(f"{callback}({text})", media_type="text/javascript; charset=utf-8")


def json_callback(params: dict[str, str]) -> str | None:
    """Flickr wraps JSON in ``jsonFlickrApi(...)`` unless ``nojsoncallback=1``;
    ``jsoncallback=name`` picks another function name."""
    if params.get("nojsoncallback", "").strip() in ("1", "true"):
        return None
    name = params.get("jsoncallback", "").strip()
    return name if CALLBACK.match(name) else "jsonFlickrApi"
