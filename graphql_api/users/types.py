"""GraphQL types of accounts."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from docat.admin_settings import tier_credit_limit
from graphql_api.context import Info
from graphql_api.enums import described_enum
from graphql_api.relay import (
    AFTER_ARGUMENT,
    BEFORE_ARGUMENT,
    LAST_ARGUMENT,
    Connection,
    Node,
    first_argument,
    to_global_id,
)
from models import Role as RoleModel
from models import Tier as TierModel
from models import User

# The GraphQL types refer to each other (Document <-> User <-> logs): names from those modules
# are imported for type checking only, and resolvers import them when they run (an import
# cycle at load time otherwise; strawberry.lazy resolves the annotations).
if TYPE_CHECKING:
    from graphql_api.documents.types import DocumentType, JobStatusEnum

described_enum(
    RoleModel,
    name="Role",
    description="What an account may do.",
    values={
        "USER": "Works with its own documents, logs and usage.",
        "ADMIN": "Also sees every user's documents and jobs, manages users, settings and provider keys.",
    },
)
described_enum(
    TierModel,
    name="Tier",
    description="An account's plan: it sets the default credit limit (admin settings hold the numbers).",
    values={
        "FREE": "The default plan, with the smallest credit limit.",
        "PLUS": "A larger credit limit.",
        "PRO": "The largest credit limit.",
    },
)
Role = RoleModel
Tier = TierModel


async def credits_limit_of(info: Info, user: User) -> int:
    if user.credits_limit_override is not None:
        return user.credits_limit_override
    return await tier_credit_limit(info.context.settings, user.tier.value)


@strawberry.type(name="User", description="An account. A user sees their own; ADMIN sees all.")
class UserType(Node):
    email: str = strawberry.field(description="The sign-in email, lower-cased.")
    name: str | None = strawberry.field(description="Display name, if given.")
    role: Role = strawberry.field(description="USER or ADMIN.")
    tier: Tier = strawberry.field(description="The plan, which sets the default credit limit.")
    is_active: bool = strawberry.field(
        description="False once deactivated: the account can no longer sign in."
    )
    credits_used: int = strawberry.field(
        description="Credits spent so far (see `creditLogs` for each charge)."
    )
    created_at: datetime = strawberry.field(description="When the account was created.")
    last_active_at: datetime | None = strawberry.field(description="When the account last used the API.")
    model: strawberry.Private[User]

    @classmethod
    def from_model(cls, user: User) -> UserType:
        return cls(
            id=to_global_id("User", user.id),
            email=user.email,
            name=user.name,
            role=user.role,
            tier=user.tier,
            is_active=user.is_active,
            credits_used=user.credits_used,
            created_at=user.created_at,
            last_active_at=user.last_active_at,
            model=user,
        )

    @strawberry.field(
        description="Credits the account may spend: its own limit if an admin set one, else its tier's."
    )
    async def credits_limit(self, info: Info) -> int:
        return await credits_limit_of(info, self.model)

    @strawberry.field(
        description="This user's documents, newest first. The user themself, or ADMIN (else FORBIDDEN)."
    )
    async def documents(
        self,
        info: Info,
        first: Annotated[int | None, first_argument(20)] = 20,
        after: Annotated[str | None, AFTER_ARGUMENT] = None,
        status: Annotated[
            Annotated[JobStatusEnum, strawberry.lazy("graphql_api.documents.types")] | None,
            strawberry.argument(description="Only documents in this status."),
        ] = None,
        last: Annotated[int | None, LAST_ARGUMENT] = None,
        before: Annotated[str | None, BEFORE_ARGUMENT] = None,
    ) -> Connection[Annotated[DocumentType, strawberry.lazy("graphql_api.documents.types")]]:
        from graphql_api.documents.queries import documents_of

        viewer = await info.context.require_user()
        return await documents_of(
            info, viewer, owner=self.model, first=first, after=after, status=status, last=last, before=before
        )


@strawberry.type(description="A signed-in session: the access token and who it belongs to.")
class AuthPayload:
    access_token: str = strawberry.field(
        description=(
            "A JWT: send it as `Authorization: Bearer <accessToken>` (on a socket, in connection_init)."
        )
    )
    token_type: str = strawberry.field(description='Always "Bearer".')
    expires_at: datetime = strawberry.field(
        description="When the token stops working (ACCESS_TOKEN_EXPIRE_MINUTES)."
    )
    user: UserType = strawberry.field(description="The account the token is for.")


@strawberry.input(description="A new account, made by `register`.")
class RegisterInput:
    email: str = strawberry.field(description="The sign-in email (must be unused).")
    password: str = strawberry.field(description="The password; the service's password rules apply.")
    name: str | None = strawberry.field(default=None, description="Display name (optional).")


@strawberry.input(description="A new account, made by an admin with `createUser`.")
class CreateUserInput:
    email: str = strawberry.field(description="The sign-in email (must be unused).")
    password: str = strawberry.field(description="The initial password.")
    name: str | None = strawberry.field(default=None, description="Display name (optional).")
    role: Role | None = strawberry.field(default=RoleModel.USER, description="USER unless given.")
    tier: Tier | None = strawberry.field(default=TierModel.FREE, description="FREE unless given.")


@strawberry.input(description="Changes to an account; a field left out stays as it is.")
class UpdateUserInput:
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="New display name; null clears it."
    )
    role: Role | None = strawberry.field(
        default=strawberry.UNSET, description="New role (an admin cannot remove their own ADMIN role)."
    )
    tier: Tier | None = strawberry.field(default=strawberry.UNSET, description="New plan.")
    is_active: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="false deactivates the account: its tokens stop working at once.",
    )
    credits_limit: int | None = strawberry.field(
        default=strawberry.UNSET, description="The account's own credit limit; null: its tier's again."
    )
    password: str | None = strawberry.field(
        default=strawberry.UNSET, description="A new password: every older token stops working."
    )
