"""Example tests using the fixture of conftest.py."""

import requests

from conftest import mint_token


def test_introspection_accepts_a_minted_token(emu):
    token = mint_token(emu)
    answer = requests.post(
        f"{emu}/realms/lasuite/protocol/openid-connect/token/introspect",
        data={"client_id": "drive", "client_secret": "ThisIsAnExampleKeyForDevPurposeOnly", "token": token},
        timeout=5,
    ).json()
    assert answer["active"] is True
    assert answer["client_id"] == "docs"


def test_reset_between_tests_forgets_runtime_users(emu):
    users = requests.get(f"{emu}/_emu/realms/lasuite/users", timeout=5).json()["users"]
    assert "temporary" not in [u["username"] for u in users]
    requests.post(
        f"{emu}/_emu/realms/lasuite/users",
        json={"username": "temporary", "password": "t", "email": "t@example.com"},
        timeout=5,
    ).raise_for_status()
