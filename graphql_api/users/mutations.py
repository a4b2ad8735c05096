"""Account mutations: register, login, changePassword; createUser/updateUser (admin)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from tortoise.exceptions import DoesNotExist
from tortoise.transactions import in_transaction

from docat import accounts
from docat.admin_settings import get_setting
from docat.credits import credit_limit, log_limit_change
from docat.errors import BadUserInput, Forbidden, NotFound
from docat.security import hash_password
from graphql_api.context import Info
from graphql_api.relay import expect_global_id
from graphql_api.socket_rights import publish_rights_change
from graphql_api.users.types import AuthPayload, CreateUserInput, RegisterInput, UpdateUserInput, UserType
from models import Role, Tier, User


def auth_payload(info: Info, user: User) -> AuthPayload:
    token, expires = accounts.access_token_for(info.context.settings, user)
    return AuthPayload(
        access_token=token, token_type="Bearer", expires_at=expires, user=UserType.from_model(user)
    )


async def _user_by_global_id(global_id: str) -> User:
    try:
        return await User.get(id=expect_global_id(global_id, "User"))
    except (DoesNotExist, ValueError) as exc:
        raise NotFound("user not found") from exc


@strawberry.type
class UserMutations:
    @strawberry.mutation(
        description="Create an account and sign in; only while the setting registration_open is true. Public."
    )
    async def register(
        self, info: Info, input: Annotated[RegisterInput, strawberry.argument(description="The new account.")]
    ) -> AuthPayload:
        if not await get_setting(info.context.settings, "registration_open"):
            raise Forbidden("registration is closed; ask an administrator for an account")
        # "Already exists" tells whether an email has an account: sign-ups are throttled too.
        await info.context.resources.rate_limiter.hit_register(info.context)
        user = await accounts.create_user(input.email, input.password, name=input.name)
        return auth_payload(info, user)

    @strawberry.mutation(description="Exchange email and password for an access token. Public.")
    async def login(
        self,
        info: Info,
        email: Annotated[str, strawberry.argument(description="The account's email (any case).")],
        password: Annotated[str, strawberry.argument(description="The account's password.")],
    ) -> AuthPayload:
        await info.context.resources.rate_limiter.hit_login(info.context, email)
        user = await accounts.check_credentials(email, password)
        return auth_payload(info, user)

    @strawberry.mutation(
        description="Change the caller's password; every older token stops working. Any signed-in user."
    )
    async def change_password(
        self,
        info: Info,
        current_password: Annotated[str, strawberry.argument(description="The password in use now.")],
        new_password: Annotated[str, strawberry.argument(description="The password to use from now on.")],
    ) -> bool:
        user = await info.context.require_user()
        # A stolen token must not become a way to guess the password behind it.
        await info.context.resources.rate_limiter.hit_password_change(user)
        await accounts.change_password(user, current_password, new_password)
        # The caller's other sockets (and this one) hold tokens that no longer work.
        await publish_rights_change(info.context.resources.bus, user.id)
        return True

    @strawberry.mutation(description="Create a user. ADMIN only.")
    async def create_user(
        self,
        info: Info,
        input: Annotated[CreateUserInput, strawberry.argument(description="The new account.")],
    ) -> UserType:
        await info.context.require_admin()
        user = await accounts.create_user(
            input.email,
            input.password,
            name=input.name,
            role=Role(input.role or Role.USER),
            tier=Tier(input.tier or Tier.FREE),
        )
        return UserType.from_model(user)

    @strawberry.mutation(
        description="Change a user's profile, role, tier, credit limit, state or password. ADMIN only."
    )
    async def update_user(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The user's global ID.")],
        input: Annotated[UpdateUserInput, strawberry.argument(description="What to change.")],
    ) -> UserType:
        admin = await info.context.require_admin()
        target = await _user_by_global_id(id)
        # Hashing is slow: done before the row is locked.
        new_hash = (
            hash_password(input.password)
            if input.password is not strawberry.UNSET and input.password is not None
            else None
        )
        async with in_transaction():
            # Locked, and only the changed columns written: a job settling credits
            # at the same moment must not have its credits_used overwritten.
            user = await User.select_for_update().get(id=target.id)
            limit_before = await credit_limit(info.context.settings, user)
            changed: list[str] = []
            revoke = False
            if input.name is not strawberry.UNSET:
                user.name = accounts.clean_name(input.name)
                changed.append("name")
            if input.role is not strawberry.UNSET and input.role is not None:
                if user.id == admin.id and input.role != Role.ADMIN:
                    raise BadUserInput("an admin cannot remove their own ADMIN role")
                user.role = Role(input.role)
                changed.append("role")
            if input.tier is not strawberry.UNSET and input.tier is not None:
                user.tier = Tier(input.tier)
                changed.append("tier")
            if input.is_active is not strawberry.UNSET and input.is_active is not None:
                if user.id == admin.id and not input.is_active:
                    raise BadUserInput("an admin cannot deactivate themselves")
                revoke = revoke or (user.is_active and not input.is_active)
                user.is_active = input.is_active
                changed.append("is_active")
            if input.credits_limit is not strawberry.UNSET:
                if input.credits_limit is not None and input.credits_limit < 0:
                    raise BadUserInput("creditsLimit must not be negative")
                user.credits_limit_override = input.credits_limit
                changed.append("credits_limit_override")
            if new_hash is not None:
                user.password_hash = new_hash
                changed.append("password_hash")
                revoke = True
            if revoke:
                # Every token issued before stops working at once.
                user.token_version += 1
                changed.append("token_version")
            if changed:
                await user.save(update_fields=changed)
            await log_limit_change(info.context.settings, user, limit_before, f"admin {admin.email}")
        if {"role", "is_active", "token_version"} & set(changed):
            # Committed: every API process re-reads the account and closes sockets that lost rights.
            await publish_rights_change(info.context.resources.bus, user.id)
        return UserType.from_model(user)
