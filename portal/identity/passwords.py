"""Password hashing with Argon2id (argon2-cffi) and generation of case access passwords."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from portal.errors import InvalidInputError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
# Unambiguous characters for passwords read out or printed on a filing notice (no 0/O, 1/l/I).
_ACCESS_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)
# A hash of a random password, verified when the account does not exist so that the answer takes
# the same time either way (no account enumeration by timing).
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def check_password_policy(password: str) -> None:
    """Raise InvalidInputError unless 8 <= length <= 128 (no composition rules, per ASVS 6.2)."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidInputError(f"密码长度须为 {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} 个字符")


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (OWASP parameters: m=19 MiB, t=2, p=1). CPU-bound (~30 ms)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; with None, spends the same time and is False."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def generate_access_password(length: int = 12) -> str:
    """A random case access password of ``length`` unambiguous characters (~70 bits at 12)."""
    return "".join(secrets.choice(_ACCESS_ALPHABET) for _ in range(length))
