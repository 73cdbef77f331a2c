"""The sandbox's authentication: the List API's key, the Segment API's session."""

import re

import requests

from tests.emulator.support import (
    LOGIN,
    list_api,
)


def test_list_api_rejects_a_wrong_key(srv):
    answer = list_api(srv, {"audience_type": "list"}, key="nope")
    assert answer.status_code == 401
    assert answer.json() == {"message": "Invalid api key", "statusCode": 401}


def test_segment_api_needs_the_session_cookie(srv, session):
    url = f"{srv.segment_api_url}/segment/audience/1001"
    answer = requests.get(url)
    assert answer.status_code == 401
    assert answer.json() == {"message": "Unauthorized"}
    assert requests.get(url, cookies={"digitalAudience": "123"}).status_code == 401
    assert session.get(url).status_code == 200


def test_login_outcomes(srv):
    url = f"{srv.segment_api_url}/account/login"
    right = requests.post(url, json=LOGIN)
    assert right.json() == {"data": True}
    cookie = right.headers["Set-Cookie"]
    assert re.fullmatch(r"digitalAudience=[0-9a-f]{32}; Path=/; HttpOnly", cookie)
    wrong = requests.post(url, json={**LOGIN, "password": "guess"})
    assert (wrong.status_code, wrong.json()) == (200, {"data": False})
    assert "Set-Cookie" not in wrong.headers
    missing = requests.post(url, json={"userName": "sandbox"})
    assert missing.status_code == 400
    assert "password" in missing.json()["errors"]
    assert requests.post(url, data="userName=sandbox").status_code == 400


def test_expired_sessions_answer_401_until_login(srv, session):
    url = f"{srv.segment_api_url}/organisation/loadplatformaccounts"
    assert session.get(url).status_code == 200
    assert requests.post(f"{srv.control_url}/sessions/expire").status_code == 200
    assert session.get(url).status_code == 401
    session.post(f"{srv.segment_api_url}/account/login", json=LOGIN)
    assert session.get(url).status_code == 200
