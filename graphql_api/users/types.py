"""GraphQL types of accounts."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from docat.admin_settings import tier_credit_limit
from graphql_api.context import Info
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

if TYPE_CHECKING:
    from graphql_api.documents.types import DocumentType, JobStatusEnum

strawberry.enum(RoleModel, name="Role")
strawberry.enum(TierModel, name="Tier")
Role = RoleModel
Tier = TierModel


async def credits_limit_of(info: Info, user: User) -> int:
    if user.credits_limit_override is not None:
        return user.credits_limit_override
    return await tier_credit_limit(info.context.settings, user.tier.value)


@strawberry.type(name="User")
class UserType(Node):
    email: str
    name: str | None
    role: Role
    tier: Tier
    is_active: bool
    credits_used: int
    created_at: datetime
    last_active_at: datetime | None
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

    @strawberry.field
    async def credits_limit(self, info: Info) -> int:
        return await credits_limit_of(info, self.model)

    @strawberry.field
    async def documents(
        self,
        info: Info,
        first: Annotated[int | None, first_argument(20)] = None,
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


@strawberry.type
class AuthPayload:
    access_token: str
    token_type: str
    expires_at: datetime
    user: UserType


@strawberry.input
class RegisterInput:
    email: str
    password: str
    name: str | None = None


@strawberry.input
class CreateUserInput:
    email: str
    password: str
    name: str | None = None
    role: Role | None = RoleModel.USER
    tier: Tier | None = TierModel.FREE


@strawberry.input
class UpdateUserInput:
    name: str | None = strawberry.UNSET
    role: Role | None = strawberry.UNSET
    tier: Tier | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET
    credits_limit: int | None = strawberry.UNSET
    password: str | None = strawberry.UNSET
