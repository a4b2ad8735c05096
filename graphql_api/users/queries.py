"""Account queries: me, users (admin)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from tortoise.expressions import Q

from graphql_api.context import Info
from graphql_api.relay import (
    AFTER_ARGUMENT,
    BEFORE_ARGUMENT,
    LAST_ARGUMENT,
    Connection,
    first_argument,
    paginate,
)
from graphql_api.search import contains_literally
from graphql_api.users.types import UserType
from models import User


@strawberry.type
class UserQueries:
    @strawberry.field(description="The caller, or null without a token. Public.")
    async def me(self, info: Info) -> UserType | None:
        user = await info.context.user()
        return UserType.from_model(user) if user else None

    @strawberry.field(description="Every user, newest first. ADMIN only.")
    async def users(
        self,
        info: Info,
        search: Annotated[
            str | None,
            strawberry.argument(description="Only users whose email or name contains this text (any case)."),
        ] = None,
        first: Annotated[int | None, first_argument(20)] = 20,
        after: Annotated[str | None, AFTER_ARGUMENT] = None,
        last: Annotated[int | None, LAST_ARGUMENT] = None,
        before: Annotated[str | None, BEFORE_ARGUMENT] = None,
    ) -> Connection[UserType]:
        await info.context.require_admin()
        query = User.all()
        if search and search.strip():
            query = query.filter(
                Q(contains_literally("email", search.strip())) | Q(contains_literally("name", search.strip()))
            )
        return await paginate(
            query,
            first=first,
            after=after,
            last=last,
            before=before,
            time_field="created_at",
            convert=UserType.from_model,
        )
