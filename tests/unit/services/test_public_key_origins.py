"""Which requests a public key's domains admit: the Origin (else the Referer's origin)
against exact names, *. suffixes on whole labels, ports, case, trailing dots and IDN."""

import pytest

from chalicelib.services.public_keys import domain_matches, normalize_domain, request_origin


def admits(domains, origin, referer=None):
    found = request_origin(origin, referer)
    return found is not None and any(domain_matches(normalize_domain(d), *found) for d in domains)


@pytest.mark.parametrize(
    ("domains", "origin", "expected"),
    [
        # exact
        (["example.com"], "https://example.com", True),
        (["example.com"], "http://example.com", True),
        (["example.com"], "https://www.example.com", False),
        (["www.example.com"], "https://example.com", False),
        # wildcard: subdomains at any depth, not the name itself
        (["*.example.com"], "https://blog.example.com", True),
        (["*.example.com"], "https://a.b.example.com", True),
        (["*.example.com"], "https://example.com", False),
        (["*.example.com", "example.com"], "https://example.com", True),
        # lookalikes: whole labels only
        (["example.com"], "https://evil-example.com", False),
        (["*.example.com"], "https://evil-example.com", False),
        (["*.example.com"], "https://evilexample.com", False),
        (["example.com"], "https://example.com.evil.net", False),
        (["*.example.com"], "https://example.com.evil.net", False),
        (["example.com"], "https://example.co", False),
        (["example.com"], "https://xexample.com", False),
        # ports: none pinned admits any; a pinned one only itself (default ports implied)
        (["example.com"], "https://example.com:8443", True),
        (["localhost:3000"], "http://localhost:3000", True),
        (["localhost:3000"], "http://localhost:3001", False),
        (["localhost:3000"], "http://localhost", False),
        (["example.com:443"], "https://example.com", True),
        (["example.com:443"], "http://example.com", False),
        (["example.com:80"], "http://example.com", True),
        (["*.example.com:8080"], "http://a.example.com:8080", True),
        (["*.example.com:8080"], "http://a.example.com:9090", False),
        # case and trailing dots, on either side
        (["EXAMPLE.com"], "https://Example.COM", True),
        (["example.com."], "https://example.com", True),
        (["example.com"], "https://example.com.", True),
        # IDN: stored and compared in IDNA ASCII form
        (["bücher.example"], "https://xn--bcher-kva.example", True),
        (["xn--bcher-kva.example"], "https://bücher.example", True),
        (["*.bücher.example"], "https://shop.xn--bcher-kva.example", True),
        (["bücher.example"], "https://bucher.example", False),
        # only http(s) origins
        (["example.com"], "ftp://example.com", False),
        (["example.com"], "chrome-extension://example.com", False),
        (["example.com"], "example.com", False),
        (["example.com"], "https://example.com:notaport", False),
        (["example.com"], "https://", False),
    ],
)
def test_origin_matching(domains, origin, expected):
    assert admits(domains, origin) is expected


def test_referer_is_used_only_without_an_origin():
    assert admits(["example.com"], None, "https://example.com/post/1?x=2#c3")
    assert admits(["example.com"], "", "https://example.com/post/1")
    assert not admits(["example.com"], None, "https://evil.net/?u=https://example.com/")
    # An Origin that does not match is not rescued by a Referer that would.
    assert not admits(["example.com"], "https://evil.net", "https://example.com/")


def test_referer_with_user_info_uses_its_host():
    assert not admits(["example.com"], None, "https://example.com@evil.net/")
    assert admits(["evil.net"], None, "https://example.com@evil.net/")


def test_missing_both_headers_admits_nothing():
    assert request_origin(None, None) is None
    assert request_origin("", "") is None
    assert not admits(["example.com"], None, None)


def test_null_origin_admits_nothing_and_does_not_fall_back():
    assert request_origin("null", "https://example.com/page") is None
    assert not admits(["example.com"], "null", "https://example.com/page")


def test_request_origin_gives_ascii_host_and_effective_port():
    assert request_origin("https://Bücher.Example.", None) == ("xn--bcher-kva.example", 443)
    assert request_origin("http://localhost:3000", None) == ("localhost", 3000)
    assert request_origin(None, "http://example.com/a") == ("example.com", 80)


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        ("*.Example.com", "*.example.com"),
        ("localhost:3000", "localhost:3000"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("faß.de", "xn--fa-hia.de"),  # IDNA 2008 (what browsers send), not IDNA 2003's fass.de
        ("127.0.0.1:8080", "127.0.0.1:8080"),
    ],
)
def test_domains_are_stored_normalized(text, stored):
    assert normalize_domain(text) == stored


@pytest.mark.parametrize(
    "text",
    [
        "https://example.com",
        "example.com/x",
        "*.com",
        "a.*.com",
        "*example.com",
        "ex ample.com",
        ":80",
        "example.com:08",
    ],
)
def test_malformed_domains_are_refused(text):
    with pytest.raises(ValueError):
        normalize_domain(text)


def test_public_key_format():
    from chalicelib.auth import tokens

    key = tokens.new_public_key()
    assert key.startswith("dqp_") and len(key) == 36 and tokens.is_well_formed_public_key(key)
    assert key != tokens.new_public_key()
    for bad in (key[:-1], key + "A", "dqa_" + key[4:], key[:-1] + "-", None, 7):
        assert not tokens.is_well_formed_public_key(bad)
