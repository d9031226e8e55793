"""How strong a configured secret (a signing key, a bearer token) must be: one rule for every package.

A secret is refused when it is a known placeholder, shorter than ``MIN_SECRET_LENGTH``, made of fewer
than ``MIN_DISTINCT_CHARACTERS`` different characters, or one short pattern repeated. These catch the
values people type by hand ("aaaa…", "0123456789" twice); a generated value
(``secrets.token_urlsafe(32)``) always passes.
"""

from __future__ import annotations

MIN_SECRET_LENGTH = 32
MIN_DISTINCT_CHARACTERS = 10
PLACEHOLDER_SECRETS = frozenset({"changethis", "change-me", "changeme", "secret", "dev", "development"})
SECRET_HINT = (
    f"set {MIN_SECRET_LENGTH}+ random characters, e.g. "
    "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
)


def secret_weakness(value: str) -> str | None:
    """Why ``value`` is too weak to serve as a secret (a phrase to follow its name), or None."""
    if value.lower() in PLACEHOLDER_SECRETS:
        return "is a placeholder"
    if len(value) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    if len(set(value)) < MIN_DISTINCT_CHARACTERS:
        return f"has fewer than {MIN_DISTINCT_CHARACTERS} distinct characters"
    if _repeats_a_pattern(value):
        return "repeats a short pattern"
    return None


def _repeats_a_pattern(value: str) -> bool:
    """True when ``value`` is a prefix of some pattern of at most half its length, repeated."""
    return any(value[period:] == value[:-period] for period in range(1, len(value) // 2 + 1))
