"""The signature base string and HMAC-SHA1 against RFC 5849's own example (§1.2)."""

from __future__ import annotations

from photohub.api.oauth import base_string, hmac_sha1

RFC_PARAMS = [
    ("file", "vacation.jpg"),
    ("size", "original"),
    ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
    ("oauth_token", "nnch734d00sl2jdk"),
    ("oauth_signature_method", "HMAC-SHA1"),
    ("oauth_timestamp", "137131202"),
    ("oauth_nonce", "chapoH"),
]


def test_rfc_5849_example_signature() -> None:
    base = base_string("GET", "http://photos.example.net/photos", RFC_PARAMS)
    assert base == (
        "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg"
        "%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH"
        "%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202"
        "%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal"
    )
    assert hmac_sha1(base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00") == "MdpQcU8iPSUjWoN/UDMsK2sui9I="


def test_default_ports_and_case_are_normalised() -> None:
    a = base_string("get", "HTTP://Photos.Example.net:80/photos", RFC_PARAMS)
    b = base_string("GET", "http://photos.example.net/photos", RFC_PARAMS)
    assert a == b
    assert "8443" in base_string("GET", "https://photos.example.net:8443/photos", [])


def test_repeated_names_are_all_signed_sorted_by_value() -> None:
    base = base_string("GET", "http://h/", [("tag", "b"), ("tag", "a")])
    assert base.endswith("tag%3Da%26tag%3Db")
