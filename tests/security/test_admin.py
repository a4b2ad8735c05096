"""Admin settings (typed, validated, secrets masked) and provider keys (encrypted at rest, last4 only)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest

from docat import admin_settings
from docat.admin_settings import SettingSpec, set_setting
from docat.security import decrypt_secret
from docat.settings import Settings
from models import ProviderKey, User
from tests.fixtures.graphql_client import GraphQLClient

SETTINGS = "query { settings { key value description secret updatedAt } }"
UPDATE = (
    "mutation($k: String!, $v: String) { updateSetting(key: $k, value: $v) { key value secret updatedAt } }"
)
ADD_KEY = """
mutation($p: String!, $k: String!, $l: String) {
  addProviderKey(provider: $p, key: $k, label: $l) { id provider label last4 isActive requests failures lastUsedAt }
}"""
KEYS = "query { providerKeys { id provider label last4 isActive } }"
REMOVE_KEY = "mutation($id: ID!) { removeProviderKey(id: $id) }"
ME_LIMIT = "query { me { creditsLimit } }"


@pytest.fixture
async def restore_settings() -> AsyncIterator[None]:
    yield
    for key in ("credits_free", "registration_open", "preferred_provider"):
        await set_setting(key, None)


async def test_settings_are_listed_typed_with_their_defaults(client: GraphQLClient, admin_token: str) -> None:
    rows = {s["key"]: s for s in (await client.execute(SETTINGS, token=admin_token)).ok()["settings"]}
    for key in (
        "registration_open",
        "max_pages_user",
        "max_pages_admin",
        "max_upload_mb",
        "credits_free",
        "credits_plus",
        "credits_pro",
        "rate_login_per_minute",
        "rate_uploads_free_per_hour",
        "rate_requests_per_minute",
        "retention_days",
    ):
        assert key in rows and rows[key]["description"], key
    assert rows["registration_open"]["value"] == "false"
    assert (rows["credits_free"]["value"], rows["credits_plus"]["value"], rows["credits_pro"]["value"]) == (
        "500",
        "50000",
        "1000000",
    )
    assert rows["max_pages_user"]["value"] == "100"
    assert rows["preferred_provider"]["value"] == "openrouter"


async def test_update_setting_validates_and_applies_at_once(
    client: GraphQLClient, admin_token: str, user_token: str, restore_settings: None
) -> None:
    assert (await client.execute(ME_LIMIT, token=user_token)).ok()["me"]["creditsLimit"] == 500
    updated = (await client.execute(UPDATE, {"k": "credits_free", "v": " 600 "}, token=admin_token)).ok()
    assert updated["updateSetting"]["value"] == "600"
    assert (await client.execute(ME_LIMIT, token=user_token)).ok()["me"]["creditsLimit"] == 600
    toggled = (await client.execute(UPDATE, {"k": "registration_open", "v": "TRUE"}, token=admin_token)).ok()
    assert toggled["updateSetting"]["value"] == "true"
    restored = (await client.execute(UPDATE, {"k": "credits_free", "v": None}, token=admin_token)).ok()
    assert restored["updateSetting"]["value"] == "500"

    for key, value, fragment in (
        ("credits_free", "lots", "must be a whole number"),
        ("credits_free", "-1", "at least 0"),
        ("rate_login_per_minute", "0", "at least 1"),
        ("registration_open", "maybe", "true or false"),
        ("preferred_provider", "evil-llm", "one of: openrouter, gemini"),
        ("translation_model_gemini", "x" * 501, "at most 500"),
        ("no_such_setting", "1", "unknown setting"),
    ):
        refused = await client.execute(UPDATE, {"k": key, "v": value}, token=admin_token)
        assert refused.codes == ["BAD_USER_INPUT"], (key, value)
        assert fragment in refused.errors[0]["message"], refused.errors
    # Refusals left everything as it was.
    rows = {
        s["key"]: s["value"] for s in (await client.execute(SETTINGS, token=admin_token)).ok()["settings"]
    }
    assert rows["credits_free"] == "500" and rows["preferred_provider"] == "openrouter"


async def test_secret_settings_come_back_masked(
    client: GraphQLClient, admin_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = SettingSpec("smtp_password", str, "SMTP password", lambda _s: None, secret=True)
    monkeypatch.setitem(admin_settings.SPECS, spec.key, spec)
    secret = "correct-horse-battery-staple"
    try:
        response = await client.http.post(
            "/graphql",
            json={"query": UPDATE, "variables": {"k": "smtp_password", "v": secret}},
            headers={"Authorization": f"Bearer {admin_token}"},
        )
        assert response.json()["data"]["updateSetting"] == {
            "key": "smtp_password",
            "value": "****aple",
            "secret": True,
            "updatedAt": response.json()["data"]["updateSetting"]["updatedAt"],
        }
        listed = await client.http.post(
            "/graphql", json={"query": SETTINGS}, headers={"Authorization": f"Bearer {admin_token}"}
        )
        assert secret not in response.text and secret not in listed.text
        row = next(s for s in listed.json()["data"]["settings"] if s["key"] == "smtp_password")
        assert (row["value"], row["secret"]) == ("****aple", True)
    finally:
        await set_setting("smtp_password", None)


async def test_provider_keys_are_encrypted_at_rest_and_shown_by_last4_only(
    client: GraphQLClient, settings: Settings, admin: User, admin_token: str
) -> None:
    secret = "sk-or-v1-0123456789abcdef0123456789abcdefWXYZ"
    added = await client.http.post(
        "/graphql",
        json={"query": ADD_KEY, "variables": {"p": "OpenRouter", "k": secret, "l": "primary"}},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    key = added.json()["data"]["addProviderKey"]
    try:
        assert (key["provider"], key["label"], key["last4"], key["isActive"]) == (
            "openrouter",
            "primary",
            "WXYZ",
            True,
        )
        listed = await client.http.post(
            "/graphql", json={"query": KEYS}, headers={"Authorization": f"Bearer {admin_token}"}
        )
        assert any(
            k["id"] == key["id"] and k["last4"] == "WXYZ" for k in listed.json()["data"]["providerKeys"]
        )
        for text in (added.text, listed.text):
            assert secret not in text and secret[:-4] not in text

        # The column holds a Fernet token: neither the key nor an encoding of it.
        stored = await ProviderKey.filter(last4="WXYZ", label="primary").values("key_encrypted", "last4")
        column = stored[-1]["key_encrypted"]
        assert secret not in column
        assert base64.b64encode(secret.encode()).decode()[:20] not in column
        assert column.startswith("gAAAA")  # Fernet's version byte, base64
        assert decrypt_secret(settings.signing_key, column) == secret
        with pytest.raises(ValueError):
            decrypt_secret("another-secret-key-entirely-0123456789", column)
    finally:
        removed = await client.execute(REMOVE_KEY, {"id": key["id"]}, token=admin_token)
    assert removed.ok() == {"removeProviderKey": True}
    again = await client.execute(REMOVE_KEY, {"id": key["id"]}, token=admin_token)
    assert again.codes == ["NOT_FOUND"]
    listed_after = (await client.execute(KEYS, token=admin_token)).ok()["providerKeys"]
    assert all(k["id"] != key["id"] for k in listed_after)


async def test_provider_key_input_is_validated(client: GraphQLClient, admin_token: str) -> None:
    for provider, key in (("nope", "sk-0123456789"), ("gemini", "short"), ("gemini", "has a space in it")):
        result = await client.execute(ADD_KEY, {"p": provider, "k": key}, token=admin_token)
        assert result.codes == ["BAD_USER_INPUT"], (provider, key)
    assert (await client.execute(REMOVE_KEY, {"id": "garbage"}, token=admin_token)).codes == ["NOT_FOUND"]
