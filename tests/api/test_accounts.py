"""Accounts through /graphql: login, me, changePassword, register, admin user management."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from docat.admin_settings import set_setting
from models import User
from tests.conftest import PASSWORD, TEST_SECRET
from tests.fixtures.graphql_client import GraphQLClient, unique_email

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken tokenType expiresAt user { id email role } }
}"""
ME = "query { me { id email name role tier isActive creditsUsed creditsLimit createdAt lastActiveAt } }"
CHANGE_PASSWORD = """
mutation Change($current: String!, $new: String!) { changePassword(currentPassword: $current, newPassword: $new) }"""
CREATE_USER = """
mutation Create($input: CreateUserInput!) { createUser(input: $input) { id email role tier isActive creditsLimit } }"""
UPDATE_USER = """
mutation Update($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id isActive tier creditsLimit } }"""
USERS = """
query Users($search: String, $first: Int, $after: String) {
  users(search: $search, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { email } }
  }
}"""
REGISTER = """
mutation Register($input: RegisterInput!) { register(input: $input) { accessToken user { email role } } }"""


async def test_login_then_me(gql: GraphQLClient, user: User) -> None:
    login = (await gql.execute(LOGIN, {"email": user.email.upper(), "password": PASSWORD})).ok()["login"]
    assert login["tokenType"] == "Bearer"
    assert login["user"]["email"] == user.email
    me = (await gql.execute(ME, token=login["accessToken"])).ok()["me"]
    assert me["email"] == user.email
    assert me["role"] == "USER" and me["tier"] == "FREE"
    assert me["creditsLimit"] == 500 and me["creditsUsed"] == 0
    assert me["lastActiveAt"] is not None


async def test_me_without_token_is_null(gql: GraphQLClient) -> None:
    assert (await gql.execute(ME)).ok() == {"me": None}


async def test_wrong_password_and_unknown_email_answer_the_same(gql: GraphQLClient, user: User) -> None:
    wrong = await gql.execute(LOGIN, {"email": user.email, "password": "not the password"})
    unknown = await gql.execute(LOGIN, {"email": unique_email("ghost"), "password": PASSWORD})
    assert wrong.codes == unknown.codes == ["UNAUTHENTICATED"]
    assert wrong.errors[0]["message"] == unknown.errors[0]["message"]
    assert wrong.data == unknown.data


async def test_malformed_expired_and_foreign_tokens_are_unauthenticated(
    gql: GraphQLClient, user: User
) -> None:
    expired = jwt.encode(
        {"sub": str(user.id), "ver": 0, "typ": "access", "exp": datetime.now(UTC) - timedelta(minutes=1)},
        TEST_SECRET,
        algorithm="HS256",
    )
    foreign = jwt.encode(
        {"sub": str(user.id), "ver": 0, "typ": "access", "exp": datetime.now(UTC) + timedelta(hours=1)},
        "another-key-entirely-another-key-entirely",
        algorithm="HS256",
    )
    for token in ("garbage", "a.b.c", expired, foreign):
        result = await gql.execute(ME, token=token)
        assert result.codes == ["UNAUTHENTICATED"], token
        assert "Traceback" not in str(result.body)


async def test_change_password_revokes_old_tokens(gql: GraphQLClient, user: User, user_token: str) -> None:
    bad = await gql.execute(
        CHANGE_PASSWORD, {"current": "wrong-password", "new": "another password"}, token=user_token
    )
    assert bad.codes == ["UNAUTHENTICATED"]
    ok = await gql.execute(
        CHANGE_PASSWORD, {"current": PASSWORD, "new": "another password"}, token=user_token
    )
    assert ok.ok() == {"changePassword": True}
    assert (await gql.execute(ME, token=user_token)).codes == ["UNAUTHENTICATED"]
    fresh = (await gql.execute(LOGIN, {"email": user.email, "password": "another password"})).ok()
    assert (await gql.execute(ME, token=fresh["login"]["accessToken"])).ok()["me"]["email"] == user.email


async def test_short_password_is_bad_input(gql: GraphQLClient, user_token: str) -> None:
    result = await gql.execute(CHANGE_PASSWORD, {"current": PASSWORD, "new": "short"}, token=user_token)
    assert result.codes == ["BAD_USER_INPUT"]


async def test_user_calling_admin_fields_is_forbidden(gql: GraphQLClient, user_token: str) -> None:
    for query, variables in (
        (USERS, {}),
        (CREATE_USER, {"input": {"email": unique_email(), "password": PASSWORD}}),
        ("query { settings { key } }", {}),
        ("query { providerKeys { id } }", {}),
    ):
        assert (await gql.execute(query, variables, token=user_token)).codes == ["FORBIDDEN"], query


async def test_anonymous_calling_admin_fields_is_unauthenticated(gql: GraphQLClient) -> None:
    assert (await gql.execute(USERS)).codes == ["UNAUTHENTICATED"]


async def test_admin_creates_user_and_duplicate_is_bad_input(gql: GraphQLClient, admin_token: str) -> None:
    email = unique_email("created")
    created = (
        await gql.execute(
            CREATE_USER, {"input": {"email": email, "password": PASSWORD, "tier": "PLUS"}}, token=admin_token
        )
    ).ok()
    assert created["createUser"]["tier"] == "PLUS"
    assert created["createUser"]["creditsLimit"] == 50_000
    duplicate = await gql.execute(
        CREATE_USER, {"input": {"email": email.upper(), "password": PASSWORD}}, token=admin_token
    )
    assert duplicate.codes == ["BAD_USER_INPUT"]


async def test_deactivated_user_token_stops_working_at_once(
    gql: GraphQLClient, admin_token: str, user: User, user_token: str
) -> None:
    me = (await gql.execute(ME, token=user_token)).ok()["me"]
    result = await gql.execute(UPDATE_USER, {"id": me["id"], "input": {"isActive": False}}, token=admin_token)
    assert result.ok()["updateUser"]["isActive"] is False
    assert (await gql.execute(ME, token=user_token)).codes == ["UNAUTHENTICATED"]
    assert (await gql.execute(LOGIN, {"email": user.email, "password": PASSWORD})).codes == [
        "UNAUTHENTICATED"
    ]


async def test_admin_sets_a_user_credit_limit(gql: GraphQLClient, admin_token: str, user_token: str) -> None:
    me = (await gql.execute(ME, token=user_token)).ok()["me"]
    updated = (
        await gql.execute(UPDATE_USER, {"id": me["id"], "input": {"creditsLimit": 1234}}, token=admin_token)
    ).ok()
    assert updated["updateUser"]["creditsLimit"] == 1234


async def test_users_search_matches_literally_and_paginates(gql: GraphQLClient, admin_token: str) -> None:
    marker = unique_email("pct_100%").split("@")[0]
    for i in range(3):
        await gql.execute(
            CREATE_USER,
            {"input": {"email": f"{marker}{i}@example.com", "password": PASSWORD}},
            token=admin_token,
        )
    page = (await gql.execute(USERS, {"search": marker, "first": 2}, token=admin_token)).ok()["users"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"] is True
    rest = (
        await gql.execute(
            USERS, {"search": marker, "first": 2, "after": page["pageInfo"]["endCursor"]}, token=admin_token
        )
    ).ok()["users"]
    emails = [e["node"]["email"] for e in page["edges"] + rest["edges"]]
    assert sorted(emails) == sorted(f"{marker}{i}@example.com" for i in range(3))
    for pattern in ("%", "_", "' OR 1=1 --", "\\"):
        found = (await gql.execute(USERS, {"search": pattern + "zz-no-such"}, token=admin_token)).ok()[
            "users"
        ]
        assert found["totalCount"] == 0, pattern


async def test_register_only_while_open(gql: GraphQLClient) -> None:
    variables = {"input": {"email": unique_email("reg"), "password": PASSWORD}}
    await set_setting("registration_open", "false")
    assert (await gql.execute(REGISTER, variables)).codes == ["FORBIDDEN"]
    await set_setting("registration_open", "true")
    try:
        registered = (await gql.execute(REGISTER, variables)).ok()["register"]
        assert registered["user"]["role"] == "USER" and registered["accessToken"]
    finally:
        await set_setting("registration_open", "false")


async def test_internal_errors_hide_details(gql: GraphQLClient, user_token: str) -> None:
    result = await gql.execute('query { document(id: "not-base64-@@@") { id } }', token=user_token)
    assert result.codes == ["NOT_FOUND"]
