"""Account operations shared by GraphQL and the CLI (create-admin)."""

from __future__ import annotations

import re
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from docat.errors import BadUserInput, Unauthenticated
from docat.security import hash_password, issue_token, verify_password
from docat.settings import Settings
from models import Role, Tier, User

# Deliberately permissive (RFC 5322 is not worth enforcing); it rejects obvious garbage.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")
LOGIN_FAILED = "invalid email or password"


def normalize_email(email: str) -> str:
    value = email.strip().lower()
    if not _EMAIL.match(value):
        raise BadUserInput("invalid email address")
    return value


def clean_name(name: str | None) -> str | None:
    if name is None:
        return None
    value = name.strip()
    if len(value) > 200:
        raise BadUserInput("name must be at most 200 characters")
    return value or None


async def create_user(
    email: str,
    password: str,
    *,
    name: str | None = None,
    role: Role = Role.USER,
    tier: Tier = Tier.FREE,
) -> User:
    address = normalize_email(email)
    password_hash = hash_password(password)
    try:
        async with in_transaction():
            return await User.create(
                email=address, password_hash=password_hash, name=clean_name(name), role=role, tier=tier
            )
    except IntegrityError as exc:
        raise BadUserInput(f"a user with email {address} already exists") from exc


async def create_or_promote_admin(email: str, password: str | None) -> tuple[User, bool]:
    """The CLI's create-admin: a new admin, or an existing user promoted (and re-passworded)."""
    address = normalize_email(email)
    user = await User.get_or_none(email=address)
    if user is None:
        if not password:
            raise BadUserInput("a password is needed to create a new admin")
        return await create_user(address, password, role=Role.ADMIN, tier=Tier.PRO), True
    user.role = Role.ADMIN
    user.is_active = True
    if password:
        user.password_hash = hash_password(password)
        user.token_version += 1
    await user.save()
    return user, False


async def check_credentials(email: str, password: str) -> User:
    """Unknown email, wrong password and inactive user give one identical answer."""
    try:
        address = normalize_email(email)
    except BadUserInput:
        address = None
    user = await User.get_or_none(email=address) if address else None
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        raise Unauthenticated(LOGIN_FAILED)
    return user


async def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise Unauthenticated("current password is wrong")
    user.password_hash = hash_password(new)
    # Every token issued before the change stops working.
    user.token_version += 1
    await user.save(update_fields=["password_hash", "token_version"])


def access_token_for(settings: Settings, user: User) -> tuple[str, datetime]:
    return issue_token(
        settings.signing_key, user.id, user.token_version, settings.access_token_expire_minutes
    )
