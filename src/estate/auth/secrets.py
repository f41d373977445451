"""Passwords (argon2), random tokens and their stored digests."""

from __future__ import annotations

import hashlib
import os
import secrets
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

# The test suite creates thousands of accounts; with this variable set (by the suite only) it hashes
# with argon2's cheapest parameters. A hash carries its own parameters, so verifying works either way.
TEST_HASHING_VARIABLE = "ESTATE_TEST_CHEAP_PASSWORD_HASHES"
_hasher = (
    PasswordHasher.from_parameters(profiles.CHEAPEST)
    if os.environ.get(TEST_HASHING_VARIABLE) == "1"
    else PasswordHasher()
)


@cache
def _dummy_hash() -> str:
    """Verifying against this when an account does not exist keeps the timing of a wrong login and
    a wrong password alike."""
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def new_hex_token(nbytes: int = 64) -> str:
    return secrets.token_hex(nbytes)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_password() -> str:
    return secrets.token_urlsafe(12)
