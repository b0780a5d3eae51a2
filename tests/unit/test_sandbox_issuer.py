"""The sandbox issuer is what every flow test trusts, so it is held to the real providers' strictness here."""

import subprocess
import sys
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from coderclaw_tui.auth.jwt_claims import decode_payload, jwt_expiry_ms, openai_account_id, openai_email
from coderclaw_tui.auth.pkce import PkcePair
from coderclaw_tui.auth.sandbox_issuer import DEVICE_GRANT_TYPE, SandboxIssuer, SandboxRequestError
from coderclaw_tui.providers.catalogue import GITHUB_CLIENT_ID, OPENAI_CODEX_CLIENT_ID

REDIRECT = "http://localhost:1455/auth/callback"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def issuer(clock: Clock) -> Iterator[SandboxIssuer]:
    with SandboxIssuer(clock=clock, hang_seconds=2) as running:
        yield running


@pytest.fixture
def http(issuer: SandboxIssuer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=issuer.base_url, trust_env=False, timeout=5) as client:
        yield client


def authorize_url(issuer: SandboxIssuer, pkce: PkcePair, **overrides: str) -> str:
    params = {
        "response_type": "code",
        "client_id": OPENAI_CODEX_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": "openid profile email offline_access",
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        "state": "st4te",
    }
    params.update(overrides)
    return f"{issuer.base_url}/oauth/authorize?{urlencode(params)}"


def code_from(redirect: str) -> str:
    return parse_qs(urlsplit(redirect).query)["code"][0]


def exchange(http: httpx.Client, code: str, pkce: PkcePair, **overrides: str) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "client_id": OPENAI_CODEX_CLIENT_ID,
        "code": code,
        "code_verifier": pkce.verifier,
        "redirect_uri": REDIRECT,
        **overrides,
    }
    return http.post("/oauth/token", data=form)


def refresh(http: httpx.Client, token: str) -> httpx.Response:
    return http.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": token, "client_id": OPENAI_CODEX_CLIENT_ID},
    )


@pytest.fixture
def tokens(issuer: SandboxIssuer, http: httpx.Client) -> dict[str, object]:
    pkce = PkcePair.generate()
    response = exchange(http, code_from(issuer.approve(authorize_url(issuer, pkce))), pkce)
    assert response.status_code == 200
    return response.json()


# -- authorize -------------------------------------------------------------------------------------------------


def test_approve_page_then_redirect_with_code_and_state(issuer: SandboxIssuer, http: httpx.Client) -> None:
    url = authorize_url(issuer, PkcePair.generate())
    page = http.get(url)
    assert page.status_code == 200 and "Approve" in page.text and "sandbox.user@example.test" in page.text
    approved = http.get(url + "&approve=1")
    assert approved.status_code == 302
    location = approved.headers["location"]
    assert location.startswith(REDIRECT + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["st4te"] and query["code"][0].startswith("ac_")
    posted = http.post(url, data={"decision": "approve"})
    assert posted.status_code == 302 and "code=" in posted.headers["location"]
    denied = http.get(url + "&deny=1")
    assert parse_qs(urlsplit(denied.headers["location"]).query) == {"error": ["access_denied"], "state": ["st4te"]}


@pytest.mark.parametrize(
    ("override", "why"),
    [
        ({"client_id": "someone-else"}, "client_id"),
        ({"redirect_uri": "https://evil.example/auth/callback"}, "redirect_uri"),
        ({"redirect_uri": "http://localhost/auth/callback"}, "redirect_uri"),
        ({"redirect_uri": "http://localhost:1455/other"}, "redirect_uri"),
        ({"response_type": "token"}, "response_type"),
        ({"code_challenge_method": "plain"}, "S256"),
        ({"code_challenge": "short"}, "code_challenge"),
    ],
)
def test_bad_authorize_requests_are_refused(
    issuer: SandboxIssuer, http: httpx.Client, override: dict[str, str], why: str
) -> None:
    url = authorize_url(issuer, PkcePair.generate(), **override)
    response = http.get(url + "&approve=1")
    assert response.status_code == 400 and why in response.text
    with pytest.raises(SandboxRequestError, match=why):
        issuer.approve(url)


def test_auto_approve_redirects_straight_away() -> None:
    with SandboxIssuer(auto_approve=True) as issuer, httpx.Client(trust_env=False) as http:
        response = http.get(authorize_url(issuer, PkcePair.generate()))
    assert response.status_code == 302 and "code=" in response.headers["location"]


# -- code exchange ---------------------------------------------------------------------------------------------


def test_exchange_issues_jwt_with_openai_claims(issuer: SandboxIssuer, tokens: dict[str, object], clock: Clock) -> None:
    access = str(tokens["access_token"])
    assert openai_account_id(access) == "acct_sandbox_0001"
    assert openai_email(access) == "sandbox.user@example.test"
    assert jwt_expiry_ms(access) == int(clock.now + 300) * 1000
    assert decode_payload(access)["sub"]
    assert tokens["expires_in"] == 300 and str(tokens["refresh_token"]).startswith("rt_")
    assert issuer.events == ["authorize_approved", "code_exchanged"]


def test_configurable_identity_and_lifetimes(clock: Clock) -> None:
    with (
        SandboxIssuer(clock=clock, email=None, account_id="acct_x", access_ttl=30, reported_expires_in=3600) as issuer,
        httpx.Client(base_url=issuer.base_url, trust_env=False) as http,
    ):
        pkce = PkcePair.generate()
        body = exchange(http, code_from(issuer.approve(authorize_url(issuer, pkce))), pkce).json()
        issuer.set_identity(email="b@example.com", account_id="acct_b")
        pkce2 = PkcePair.generate()
        second = exchange(http, code_from(issuer.approve(authorize_url(issuer, pkce2))), pkce2).json()
    assert openai_email(body["access_token"]) is None and openai_account_id(body["access_token"]) == "acct_x"
    assert body["expires_in"] == 3600 and jwt_expiry_ms(body["access_token"]) == int(clock.now + 30) * 1000
    assert openai_email(second["access_token"]) == "b@example.com"


def test_without_offline_access_there_is_no_refresh_token(issuer: SandboxIssuer, http: httpx.Client) -> None:
    pkce = PkcePair.generate()
    code = code_from(issuer.approve(authorize_url(issuer, pkce, scope="openid profile email")))
    assert "refresh_token" not in exchange(http, code, pkce).json()


@pytest.mark.parametrize(
    "mutate",
    [
        {"code_verifier": PkcePair.generate().verifier},
        {"code_verifier": "x"},
        {"redirect_uri": "http://localhost:1457/auth/callback"},
        {"client_id": "other"},
        {"code": "ac_unknown"},
    ],
)
def test_exchange_checks_pkce_redirect_client_and_code(
    issuer: SandboxIssuer, http: httpx.Client, mutate: dict[str, str]
) -> None:
    pkce = PkcePair.generate()
    code = code_from(issuer.approve(authorize_url(issuer, pkce)))
    response = exchange(http, mutate.pop("code", code), pkce, **mutate)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_a_code_works_once_and_a_replay_revokes_its_tokens(issuer: SandboxIssuer, http: httpx.Client) -> None:
    pkce = PkcePair.generate()
    code = code_from(issuer.approve(authorize_url(issuer, pkce)))
    first = exchange(http, code, pkce)
    assert first.status_code == 200
    assert exchange(http, code, pkce).json()["error"] == "invalid_grant"
    assert refresh(http, first.json()["refresh_token"]).json()["error"] == "invalid_grant"


def test_codes_are_short_lived(issuer: SandboxIssuer, http: httpx.Client, clock: Clock) -> None:
    pkce = PkcePair.generate()
    code = code_from(issuer.approve(authorize_url(issuer, pkce)))
    clock.now += 61
    assert exchange(http, code, pkce).json()["error_description"] == "authorization code expired"


def test_token_requests_must_be_form_encoded(http: httpx.Client) -> None:
    response = http.post("/oauth/token", json={"grant_type": "refresh_token"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


# -- refresh ---------------------------------------------------------------------------------------------------


def test_refresh_rotates_and_reuse_revokes_the_whole_grant(
    issuer: SandboxIssuer, http: httpx.Client, tokens: dict[str, object]
) -> None:
    old = str(tokens["refresh_token"])
    rotated = refresh(http, old)
    assert rotated.status_code == 200
    new = rotated.json()["refresh_token"]
    assert new != old and rotated.json()["access_token"] != tokens["access_token"]
    reused = refresh(http, old)
    assert reused.status_code == 400 and reused.json()["error"] == "refresh_token_reused"
    assert refresh(http, new).json()["error"] == "invalid_grant"  # the whole grant is gone
    assert (issuer.refresh_count, issuer.reuse_detected) == (3, 1)
    assert issuer.events[-3:] == ["refresh_rotated", "refresh_reused", "refresh_unknown"]


def test_unknown_refresh_token_is_invalid_grant(http: httpx.Client) -> None:
    response = refresh(http, "rt_never_issued")
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("invalid_grant", 400),
        ("refresh_token_expired", 400),
        ("refresh_token_invalidated", 400),
        ("unauthorized", 401),
        ("server_error", 500),
    ],
)
def test_injected_refresh_failures_answer_once_and_leave_the_token_usable(
    issuer: SandboxIssuer, http: httpx.Client, tokens: dict[str, object], kind: str, status: int
) -> None:
    issuer.fail_next_refresh(kind)
    failed = refresh(http, str(tokens["refresh_token"]))
    assert failed.status_code == status and failed.json()["error"] == kind
    assert refresh(http, str(tokens["refresh_token"])).status_code == 200


def test_a_hung_refresh_has_already_rotated_so_a_retry_is_reuse(
    issuer: SandboxIssuer, http: httpx.Client, tokens: dict[str, object]
) -> None:
    issuer.fail_next_refresh("hang")
    with pytest.raises(httpx.ReadTimeout):
        http.post(
            "/oauth/token",
            timeout=0.3,
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                "client_id": OPENAI_CODEX_CLIENT_ID,
            },
        )
    assert refresh(http, str(tokens["refresh_token"])).json()["error"] == "refresh_token_reused"


def test_unknown_failure_kind_is_refused(issuer: SandboxIssuer) -> None:
    with pytest.raises(ValueError, match="unknown failure kind"):
        issuer.fail_next_refresh("teapot")


def test_concurrent_refreshes_of_one_token_let_exactly_one_win(
    issuer: SandboxIssuer, http: httpx.Client, tokens: dict[str, object]
) -> None:
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        statuses.append(refresh(http, str(tokens["refresh_token"])).status_code)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [400] * 7
    assert issuer.refresh_count == 8 and issuer.reuse_detected >= 1


# -- device code -----------------------------------------------------------------------------------------------


def start_device(http: httpx.Client, client_id: str = GITHUB_CLIENT_ID) -> httpx.Response:
    return http.post(
        "/login/device/code",
        data={"client_id": client_id, "scope": "read:user"},
        headers={"Accept": "application/json"},
    )


def poll(http: httpx.Client, device_code: str) -> dict[str, object]:
    response = http.post(
        "/login/oauth/access_token",
        data={"client_id": GITHUB_CLIENT_ID, "device_code": device_code, "grant_type": DEVICE_GRANT_TYPE},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200  # GitHub's shape: errors ride on HTTP 200
    return response.json()


def test_device_flow_pending_slow_down_then_token(issuer: SandboxIssuer, http: httpx.Client, clock: Clock) -> None:
    start = start_device(http).json()
    assert start["verification_uri"] == f"{issuer.base_url}/login/device"
    assert (start["expires_in"], start["interval"]) == (900, 5)
    assert len(start["user_code"]) == 9 and start["user_code"][4] == "-"
    clock.now += 5
    assert poll(http, start["device_code"]) == {"error": "authorization_pending"}
    clock.now += 1
    assert poll(http, start["device_code"]) == {"error": "slow_down", "interval": 10}
    issuer.approve_device(start["user_code"].lower().replace("-", ""))
    clock.now += 10
    granted = poll(http, start["device_code"])
    assert str(granted["access_token"]).startswith("gho_") and len(str(granted["access_token"])) == 40
    assert (granted["token_type"], granted["scope"]) == ("bearer", "read:user")
    clock.now += 10
    assert poll(http, start["device_code"]) == {"error": "incorrect_device_code"}


def test_device_flow_denied_and_expired(issuer: SandboxIssuer, http: httpx.Client, clock: Clock) -> None:
    denied, expired = start_device(http).json(), start_device(http).json()
    issuer.deny_device(denied["user_code"])
    assert poll(http, denied["device_code"]) == {"error": "access_denied"}
    clock.now += 901
    assert poll(http, expired["device_code"]) == {"error": "expired_token"}
    with pytest.raises(SandboxRequestError):
        issuer.approve_device(denied["user_code"])


def test_device_approval_through_the_html_page(issuer: SandboxIssuer, http: httpx.Client, clock: Clock) -> None:
    start = start_device(http).json()
    assert "user_code" in http.get("/login/device").text
    assert http.post("/login/device", data={"user_code": "ZZZZ-0000", "decision": "approve"}).status_code == 400
    assert http.post("/login/device", data={"user_code": start["user_code"], "decision": "approve"}).status_code == 200
    clock.now += 5
    assert "access_token" in poll(http, start["device_code"])


def test_device_endpoints_check_client_and_answer_form_encoded_without_accept_json(http: httpx.Client) -> None:
    assert start_device(http, client_id="nope").json() == {"error": "incorrect_client_credentials"}
    plain = http.post("/login/device/code", data={"client_id": GITHUB_CLIENT_ID, "scope": "read:user"})
    assert plain.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "user_code" in parse_qs(plain.text)


def test_other_processes_can_use_it(issuer: SandboxIssuer) -> None:
    script = (
        "import sys, json, urllib.request, urllib.parse;"
        "data = urllib.parse.urlencode({'client_id': sys.argv[2], 'scope': 'read:user'}).encode();"
        "req = urllib.request.Request(sys.argv[1] + '/login/device/code', data=data,"
        " headers={'Accept': 'application/json'});"
        "print(json.load(urllib.request.urlopen(req))['user_code'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, issuer.base_url, GITHUB_CLIENT_ID],
        capture_output=True,
        text=True,
        timeout=20,
        env={"NO_PROXY": "*", "PATH": ""},
    )
    assert out.returncode == 0, out.stderr
    issuer.approve_device(out.stdout.strip())
    assert issuer.events[-1] == "device_approved"
