"""The store's edge under attack (issue 20, items 1, 4, 5 and the schema part of 6), against
real uvicorn processes on PostgreSQL.

- Bodies are counted as they arrive, whatever the framing, and refused at their path's limit
  with 413 before anything parses them; the connection is then closed, so a client that goes
  on sending is cut off and the worker's memory stays flat.
- Wrong enrolment codes are counted in the database: too many from one address, or from all
  together, and enrolment answers 429 (with Retry-After) without looking at the code, on
  every store process alike.
- A number that cannot be stored exactly is refused, naming the field, never changed.
- The schema says what the store accepts: strict types, the device name's rule, 422 for
  bodies that are not UTF-8 or are nested too deeply.

All data is synthetic.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import jsonschema_rs
import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.services.core.errors import ValidationError
from desktop_app.services.sync.errors import EnrolmentRefused
from desktop_app.services.sync.state import _check_device_name
from desktop_app.services.sync.transport import StoreConnection, check_answer
from sync_server import admin, admin_codes, auth, codec, tokens
from sync_server.config import (
    ENROL_FAILURE_WINDOW_ENV,
    ENROL_FAILURES_PER_ADDRESS_ENV,
    ENROL_FAILURES_STORE_WIDE_ENV,
    MAX_BODY_BYTES,
    normalise_database_url,
)
from sync_server.database import make_engine, make_session_factory
from tests.sync.raw_http import Exchange, rss_bytes, upload
from tests.sync_server.store import EnrolFn, change
from tools.throwaway_store import CLIENT_VERSION, Laptop, PostgresCluster, StoreProcess

MIB = 1024 * 1024
VERSION = {"X-Client-Version": CLIENT_VERSION}


# --- item 1: the body limit, whatever the framing -------------------------------------------


def _push_prefix(*changes: dict[str, Any]) -> bytes:
    return json.dumps({"changes": list(changes)}).encode()


def _refused_as_too_large(exchange: Exchange) -> None:
    assert exchange.status == 413, exchange
    assert exchange.headers["x-shared-care-store"] == "1"
    assert exchange.headers["connection"] == "close"
    assert json.loads(exchange.body) == {"detail": "request body too large"}


def test_a_chunked_push_is_held_to_the_limit_to_the_byte(enrol: EnrolFn, team: str,
                                                         store: StoreProcess) -> None:
    laptop = enrol(team)
    over, at_limit = change(serial=1), change(serial=2)
    # One byte over 32 MiB, chunked (no Content-Length): refused, and nothing of it is kept.
    _refused_as_too_large(upload(store, "/api/v1/push", _push_prefix(over),
                                 MAX_BODY_BYTES + 1, token=laptop.token))
    # Exactly at the limit is still a push.
    exchange = upload(store, "/api/v1/push", _push_prefix(at_limit), MAX_BODY_BYTES,
                      token=laptop.token)
    assert exchange.status == 200, exchange
    assert [a["status"] for a in json.loads(exchange.body)["answers"]] == ["applied"]
    assert [c["id"] for c in laptop.pull_all()[0]] == [at_limit["id"]]


def test_httpx_streaming_a_push_over_the_limit_gets_413(enrol: EnrolFn, team: str) -> None:
    laptop = enrol(team)
    yielded = 0

    def body() -> Iterator[bytes]:
        nonlocal yielded
        yield _push_prefix(change())
        for _ in range(40 * 4):  # 40 MiB of padding, in 256 KiB pieces
            yielded += 1
            yield b" " * (256 * 1024)

    response = laptop.http.post("/push", content=body(),
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.headers["X-Shared-Care-Store"] == "1"
    assert response.json() == {"detail": "request body too large"}
    assert yielded < 40 * 4  # the store closed the connection: httpx stopped sending
    assert laptop.pull_all()[0] == []


def test_an_unauthenticated_300_mib_enrolment_is_cut_off_within_kibibytes(
        store: StoreProcess) -> None:
    before = rss_bytes(store)
    # A careless (or hostile) client: 300 MiB chunked, and it goes on sending after the 413.
    exchange = upload(store, "/api/v1/enrol", b'{"code": "AAAA-BBBB-CCCC-DDDD", "x": "',
                      300 * MIB, after_answer=300 * MIB)
    _refused_as_too_large(exchange)
    # Answered long before the client had sent it all (what was sent by then sat in socket
    # buffers, never read), and the store then closed the connection instead of reading on.
    assert exchange.sent_before_answer is not None and exchange.sent_before_answer < 16 * MIB
    assert exchange.cut_off and exchange.sent < 64 * MIB
    # The worker lives on, and held nothing of the body.
    assert httpx.get(f"{store.base_url}/api/v1/health").status_code == 200
    assert rss_bytes(store) - before < 32 * MIB


@pytest.mark.hazard("H-027")
@pytest.mark.parametrize("path", ["/api/v1/push", "/api/v1/audit"])
@pytest.mark.parametrize("token", [None, "not-a-token-anyone-was-given"])
def test_a_body_is_read_only_for_a_live_devices_token(store: StoreProcess, path: str,
                                                      token: str | None) -> None:
    """Push and audit bodies (up to 32 and 8 MiB, a second or two of CPU and a gigabyte to
    parse) are read only once the token is a live device's: without one the answer is 401
    before the body is read, and the connection is closed rather than read through."""
    exchange = upload(store, path, b'{"changes": [', 24 * MIB, token=token)
    assert exchange.status == 401, exchange.body[:200]
    assert json.loads(exchange.body)["detail"] == "unknown or revoked device"
    assert exchange.headers["x-shared-care-store"] == "1"
    assert exchange.sent_before_answer is not None and exchange.sent_before_answer < 8 * MIB


def test_a_request_that_does_not_match_its_schema_is_not_echoed(enrol: EnrolFn, team: str
                                                                 ) -> None:
    """422 names what is wrong (the first few errors) but never sends the request back: a
    rejected row's patient data stays where it came from, and a body of many wrong items
    costs the store no answer of the same size."""
    laptop = enrol(team)
    secret = "Edith Testperson-Echo 9990000018"
    body = {"changes": [{"idempotency_key": "k", "entity_type": "person", "id": str(uuid.uuid4()),
                         "row": {"family_name": secret}, "tombstone": "no"}] * 600}
    response = laptop.http.post("/push", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert 0 < len(detail) <= 20
    assert {"type", "loc", "msg"} <= set(detail[0]) and "input" not in detail[0]
    assert secret not in response.text and len(response.content) < 8 * 1024


def test_declared_lengths_over_a_paths_limit_are_refused_unread(store: StoreProcess) -> None:
    response = httpx.post(f"{store.base_url}/api/v1/enrol", headers=VERSION,
                          content=b'{"code": "' + b"A" * (9 * 1024) + b'"}')
    assert response.status_code == 413 and response.headers["X-Shared-Care-Store"] == "1"
    # A GET (any path not in the table) gets the small default limit.
    big_get = httpx.request("GET", f"{store.base_url}/api/v1/health", content=b" " * (17 * 1024))
    assert big_get.status_code == 413


def test_a_chunked_body_nobody_reads_closes_the_connection(store: StoreProcess) -> None:
    exchange = upload(store, "/api/v1/no-such-path", b"{", 300 * MIB, after_answer=300 * MIB)
    assert exchange.status == 404 and exchange.headers["connection"] == "close"
    assert exchange.cut_off and exchange.sent < 64 * MIB


# --- item 4: wrong enrolment codes are limited, counted in the database ----------------------


@dataclass
class Guarded:
    """Two store processes on a database of their own, with small enrolment limits."""

    servers: tuple[StoreProcess, StoreProcess]
    sessions: sessionmaker[Session]
    admin_url: str
    team: str


PER_ADDRESS, STORE_WIDE = 3, 5


@pytest.fixture(scope="module")
def guarded(postgres: PostgresCluster, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Guarded]:
    name = postgres.new_database("scp_guarded")
    url = postgres.database_url(name)
    folder = tmp_path_factory.mktemp("guarded")
    env = {ENROL_FAILURES_PER_ADDRESS_ENV: str(PER_ADDRESS),
           ENROL_FAILURES_STORE_WIDE_ENV: str(STORE_WIDE), ENROL_FAILURE_WINDOW_ENV: "1"}
    servers = (StoreProcess(url, folder / "a.log", env=env),
               StoreProcess(url, folder / "b.log", env=env))
    engine = make_engine(normalise_database_url(url))
    try:
        with ThreadPoolExecutor(2) as pool:  # the second waits on the first's migration lock
            list(pool.map(StoreProcess.start, servers))
        sessions = make_session_factory(engine)
        with sessions.begin() as session:
            admin.create_team(session, "Guarded INT")
        yield Guarded(servers, sessions, postgres.admin_url(name), "Guarded INT")
    finally:
        for server in servers:
            server.stop()
        engine.dispose()


@pytest.fixture
def fresh(guarded: Guarded) -> Iterator[Guarded]:
    """The guarded stores with no failures counted yet."""
    with psycopg.connect(guarded.admin_url, autocommit=True) as conn:
        conn.execute("DELETE FROM enrolment_failure")
    yield guarded


def _new_code(g: Guarded) -> str:
    with g.sessions.begin() as session:
        user = admin.create_user(session, g.team, f"User {uuid.uuid4().hex[:6]}", "nurse")
        return admin_codes.issue_enrolment_code(session, user.id)


def _enrol_from(server: StoreProcess, address: str, code: str) -> httpx.Response:
    with httpx.Client(transport=httpx.HTTPTransport(local_address=address)) as client:
        return client.post(f"{server.base_url}/api/v1/enrol", headers=VERSION,
                           json={"code": code, "device_name": "Guarded laptop"})


def _unused(g: Guarded, code: str) -> bool:
    with psycopg.connect(g.admin_url) as conn:
        found = conn.execute("SELECT count(*) FROM enrolment_code WHERE used_at IS NULL AND "
                             "code_hash = %s", [tokens.digest(code)]).fetchone()
    return found is not None and found[0] == 1


WRONG = "0000-0000-0000-0000"


@pytest.mark.hazard("H-027")
def test_wrong_codes_from_one_address_get_429_on_every_process(fresh: Guarded) -> None:
    a, b = fresh.servers
    code = _new_code(fresh)
    # Failures through either process count together: nothing is kept in a process.
    answers = [_enrol_from(server, "127.0.0.1", WRONG).status_code for server in (a, b, a)]
    assert answers == [401, 401, 401]
    refused = _enrol_from(b, "127.0.0.1", code)  # a good code, but it is not even looked at
    assert refused.status_code == 429 and refused.headers["X-Shared-Care-Store"] == "1"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json() == {"detail": "Too many wrong enrolment codes from this network; "
                                        "wait 1 minute and try again."}
    assert _unused(fresh, code)

    # The desktop app says so plainly.
    with StoreConnection(a.base_url) as conn, pytest.raises(EnrolmentRefused) as refusal:
        conn.enrol(code, "Laptop 7")
    assert str(refusal.value) == ("Too many wrong enrolment codes from this network; wait 1 "
                                  "minute and try again.")

    # Another address is not held up; this one is again once its failures leave the window.
    assert _enrol_from(a, "127.0.0.2", _new_code(fresh)).status_code == 200
    with psycopg.connect(fresh.admin_url, autocommit=True) as conn:
        conn.execute("UPDATE enrolment_failure SET failed_at = failed_at - interval '61 s'")
    assert _enrol_from(a, "127.0.0.1", code).status_code == 200
    assert "3 wrong enrolment codes from 127.0.0.1 within 1 minute:" in a.log() + b.log()


@pytest.mark.hazard("H-027")
def test_wrong_codes_from_many_addresses_meet_a_store_wide_ceiling(fresh: Guarded) -> None:
    a, b = fresh.servers
    spread = ["127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3", "127.0.0.4"]
    assert [_enrol_from(a if i % 2 else b, address, WRONG).status_code
            for i, address in enumerate(spread)] == [401] * STORE_WIDE
    code = _new_code(fresh)
    refused = _enrol_from(a, "127.0.0.9", code)
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith(
        "Too many wrong enrolment codes have been tried on the central store; wait 1 minute")
    assert _unused(fresh, code)
    assert "5 wrong enrolment codes store-wide within 1 minute " in a.log() + b.log()


def test_a_429_without_a_detail_still_says_how_long_to_wait() -> None:
    """A proxy in the way may drop the body; the client then words it from Retry-After."""
    answer = httpx.Response(429, headers={"X-Shared-Care-Store": "1", "Retry-After": "125"})
    with pytest.raises(EnrolmentRefused, match="^Too many wrong enrolment codes from this "
                                               "network; wait 3 minutes and try again.$"):
        check_answer(answer)


def test_the_failure_table_forgets_what_is_older_than_the_window(fresh: Guarded) -> None:
    with psycopg.connect(fresh.admin_url, autocommit=True) as conn:
        conn.execute("INSERT INTO enrolment_failure (id, address, failed_at) SELECT "
                     "gen_random_uuid()::text, '192.0.2.1', now() - interval '2 hours' "
                     "FROM generate_series(1, 50)")
        assert _enrol_from(fresh.servers[0], "127.0.0.1", WRONG).status_code == 401
        rows = conn.execute("SELECT address FROM enrolment_failure").fetchall()
    assert rows == [("127.0.0.1",)]


# --- item 5: numbers are stored exactly or refused, naming the field -------------------------


def _raw_change(row_extra: str, **envelope: str) -> tuple[str, str]:
    """A person change as JSON text with ``row_extra`` (raw JSON members) in its row."""
    record_id = str(uuid.uuid4())
    row = json.dumps(change(record_id=record_id)["row"])[:-1] + ", " + row_extra + "}"
    fields = {"idempotency_key": json.dumps(str(uuid.uuid4())), "entity_type": '"person"',
              "id": json.dumps(record_id), "base_server_version": "null", "row": row,
              "tombstone": "false", **envelope}
    return record_id, "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}"


def _push_text(laptop: Laptop, *changes: str) -> httpx.Response:
    return laptop.http.post("/push", content="{\"changes\": [" + ", ".join(changes) + "]}",
                            headers={"Content-Type": "application/json"})


@pytest.mark.hazard("H-017")
def test_numbers_that_cannot_be_stored_exactly_reject_their_change_alone(
        enrol: EnrolFn, team: str) -> None:
    laptop = enrol(team)
    exact_id, exact = _raw_change(
        f'"dose_mg": 0.1, "big": {2**63 - 1}, "small": {-2**63}, "huge": 1e300, '
        '"tiny": 2.5e-300, "exp": 1E5, "long": 0.30000000000000004, '
        '"text": ":12345678901234567890e999"')
    cases = {
        '"dose_mg": 1e400': "row.dose_mg: 1e400 cannot be stored exactly",
        f'"count": {2**70}': f"row.count: {2**70} cannot be stored exactly",
        f'"count": {2**63}': f"row.count: {2**63} cannot be stored exactly",
        '"dose_mg": -1e-400': "row.dose_mg: -1e-400 cannot be stored exactly",
        '"dose_mg": 0.1000000000000000000001':
            "row.dose_mg: 0.1000000000000000000001 cannot be stored exactly",
        '"doses": [1, {"mg": 12345678901234567.5}]':
            "row.doses[1].mg: 12345678901234567.5 cannot be stored exactly",
        '"odd key": ' + "9" * 400: 'row["odd key"]: ' + "9" * 29 + "... cannot be stored exactly",
    }
    bad = [_raw_change(extra)[1] for extra in cases]
    response = _push_text(laptop, exact, *bad)
    assert response.status_code == 200, response.text
    answers = response.json()["answers"]
    assert answers[0]["status"] == "applied"
    assert [(a["status"], a["reason"]) for a in answers[1:]] == [
        ("rejected", reason) for reason in cases.values()]
    stored = {c["id"]: c["row"] for c in laptop.pull_all()[0]}
    assert list(stored) == [exact_id]
    row = stored[exact_id]
    assert (row["dose_mg"], row["big"], row["small"], row["huge"], row["tiny"], row["exp"],
            row["long"], row["text"]) == (0.1, 2**63 - 1, -2**63, 1e300, 2.5e-300, 1e5,
                                          0.30000000000000004, ":12345678901234567890e999")


def test_an_inexact_number_outside_a_row_refuses_the_request_naming_it(
        enrol: EnrolFn, team: str, store: StoreProcess) -> None:
    laptop = enrol(team)
    _, envelope = _raw_change('"n": 1', base_server_version="1e400")
    refused = _push_text(laptop, _raw_change('"n": 1')[1], envelope)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["ctx"]["error"] == (
        "changes[1].base_server_version: 1e400 cannot be stored exactly")
    enrolment = httpx.post(f"{store.base_url}/api/v1/enrol", headers={
        **VERSION, "Content-Type": "application/json"},
        content=b'{"code": 123456789012345678901, "device_name": "Laptop"}')
    assert enrolment.status_code == 422
    assert enrolment.json()["detail"][0]["ctx"]["error"] == (
        "code: 123456789012345678901 cannot be stored exactly")
    assert laptop.pull_all()[0] == []


DIGITS = "0123456789"
# JSON numbers, from short and exact to long, huge and tiny (exponents to +-450).
JSON_NUMBERS = st.builds(
    lambda sign, whole, fraction, exponent: sign + str(whole) + fraction + exponent,
    st.sampled_from(["", "-"]),
    st.one_of(st.integers(0, 10**6), st.integers(0, 10**25)),
    st.one_of(st.just(""), st.text(DIGITS, min_size=1, max_size=24).map(lambda d: "." + d)),
    st.one_of(st.just(""), st.builds(lambda e, sign, zeros, n: e + sign + zeros + str(n),
                                     st.sampled_from("eE"), st.sampled_from(["", "+", "-"]),
                                     st.sampled_from(["", "0", "00"]), st.integers(0, 450))))


def _exact(text: str) -> bool:
    if not any(c in text for c in ".eE"):
        return -(2**63) <= int(text) < 2**63
    value = float(text)
    return math.isfinite(value) and Decimal(text) == Decimal(repr(value))


@given(number=JSON_NUMBERS, spaces=st.sampled_from(["", " "]))
@settings(max_examples=200, deadline=None, derandomize=True)
def test_the_fast_road_never_lets_an_inexact_number_through(number: str, spaces: str) -> None:
    """Whatever the scan lets orjson read is exact; everything else is refused by name."""
    body = f'{{"n": [{number}{spaces}], "id": "3b0c4e12-1234-4c3b-9a8e-123456789abc"}}'.encode()
    if _exact(number):
        value = codec.loads(body)["n"][0]
        assert Decimal(repr(value)) == Decimal(number)
    else:
        with pytest.raises(json.JSONDecodeError, match=r"^n\[0\]: .* cannot be stored exactly"):
            codec.loads(body)


def test_an_ordinary_push_takes_the_fast_road() -> None:
    """The careful reader is for the rare body that may hold a long number: a full batch of
    ordinary rows (timestamps, NHS numbers, UUIDs full of digits) never needs it."""
    body = json.dumps({"changes": [change(serial=i, weight_kg=71.25, version=3)
                                   for i in range(1000)]}).encode()
    assert not codec._may_be_inexact(body)
    assert codec.loads(body, rows_alone=True) == json.loads(body)


# --- item 6 (third part): the schema says what the store accepts -----------------------------


def test_booleans_and_integers_are_strict(enrol: EnrolFn, team: str) -> None:
    laptop = enrol(team)
    for field, value in (("tombstone", "0"), ("tombstone", "1"), ("tombstone", '"true"'),
                         ("base_server_version", '"41"'), ("base_server_version", "4.0"),
                         ("base_server_version", "true")):
        response = _push_text(laptop, _raw_change('"n": 1', **{field: value})[1])
        assert response.status_code == 422, (field, value, response.text)
        assert response.json()["detail"][0]["loc"] == ["body", "changes", 0, field]
    assert laptop.pull_all()[0] == []


def test_the_device_name_rule_is_the_one_the_schema_states(store: StoreProcess) -> None:
    schema = httpx.get(f"{store.base_url}/openapi.json").json()
    rule = schema["components"]["schemas"]["EnrolIn"]["properties"]["device_name"]
    published = jsonschema_rs.validator_for(rule)
    names = ["Laptop 7 (Alex)", "  padded  ", "x", "x" * 200, "x" * 201, "", "   ", "tab\there",
             "no\u00a0break", "line\u2028break", "zero\u200bwidth", "bell\u0007", "Zoë’s laptop",
             "\U0001F4BB laptop"]
    for name in names:
        # A code nobody issued: 401 means the name was accepted, 422 that it was not.
        response = httpx.post(f"{store.base_url}/api/v1/enrol", headers=VERSION,
                              json={"code": WRONG, "device_name": name})
        assert response.status_code == (401 if published.is_valid(name) else 422), (
            name, response.text)
        # The laptop checks the name before it asks: what it lets through, the store takes.
        try:
            sent = _check_device_name(name)
        except ValidationError:
            continue
        assert published.is_valid(sent), name


@pytest.mark.parametrize("body", [
    pytest.param(b'{"code": "\xff\xfe", "device_name": "Laptop"}', id="not-utf-8"),
    pytest.param('{"code": "AAAA", "device_name": "Laptop"}'.encode("utf-16"), id="utf-16"),
    pytest.param(b"[" * 2000 + b"]" * 2000, id="nested-2000-deep"),
    pytest.param(b'{"changes": ' + b"[" * 2000 + b"]" * 2000 + b"}", id="nested-inside"),
    pytest.param(b'{"changes": [], "x": 1e400, "y": "\\ud800"}', id="careful-reader"),
])
def test_bodies_that_cannot_be_read_are_422_everywhere(enrol: EnrolFn, team: str,
                                                       store: StoreProcess, body: bytes) -> None:
    laptop = enrol(team)
    for path in ("/enrol", "/push"):
        response = laptop.http.post(path, content=body,
                                    headers={"Content-Type": "application/json"})
        assert response.status_code == 422, (path, response.text)
        assert response.json()["detail"][0]["type"] == "json_invalid"


def test_the_openapi_schema_lists_every_answer(store: StoreProcess) -> None:
    paths = httpx.get(f"{store.base_url}/openapi.json").json()["paths"]
    assert {"200", "401", "413", "422", "426", "429", "503"} <= set(
        paths["/api/v1/enrol"]["post"]["responses"])
    assert "Retry-After" in paths["/api/v1/enrol"]["post"]["responses"]["429"]["headers"]
    assert {"200", "401", "403", "413", "422", "426", "503"} <= set(
        paths["/api/v1/push"]["post"]["responses"])
    assert {"413", "503"} <= set(paths["/api/v1/health"]["get"]["responses"])
    push = paths["/api/v1/push"]["post"]["requestBody"]["content"]["application/json"]
    assert push["schema"] == {"$ref": "#/components/schemas/PushIn"}


@pytest.mark.hazard("H-027")
def test_wrong_codes_from_one_ipv6_network_count_together() -> None:
    """An IPv6 address is counted by its /64 (one network is handed a whole /64: counting
    single addresses would give a guesser millions of fresh starts); IPv4, and IPv4 mapped
    into IPv6, by the address."""
    one_network = {auth.client_address(f"2001:db8:1:2::{n:x}") for n in range(1, 500)}
    assert one_network == {"2001:db8:1:2::/64"}
    assert auth.client_address("2001:db8:1:3::1") != auth.client_address("2001:db8:1:2::1")
    assert auth.client_address("::ffff:192.0.2.7") == auth.client_address("192.0.2.7")
    assert auth.client_address("192.0.2.7") != auth.client_address("192.0.2.8")
