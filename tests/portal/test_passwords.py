"""Argon2id at the production cost (OWASP: m=19 MiB, t=2, p=1), for new hashes and for the dummy hash
an unknown account is checked against (so both answers take the same time). The other tests run with
the cheapest cost (tests/conftest.py ``cheap_argon2``); these take the production hasher back
(``production_argon2``) and keep the real parameters checked."""

from __future__ import annotations

import pytest
from argon2 import Type, extract_parameters

from portal.identity import passwords
from portal.identity.passwords import hash_password, verify_password

pytestmark = pytest.mark.usefixtures("production_argon2")


def _production(encoded: str) -> None:
    parameters = extract_parameters(encoded)
    assert parameters.type is Type.ID
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (19 * 1024, 2, 1)


def test_new_hashes_use_the_production_cost() -> None:
    _production(hash_password("correct horse battery"))


def test_the_dummy_hash_costs_what_a_real_one_does() -> None:
    _production(passwords._DUMMY_HASH)


def test_verification_accepts_only_the_password() -> None:
    encoded = hash_password("correct horse battery")
    assert verify_password(encoded, "correct horse battery")
    assert not verify_password(encoded, "correct horse batteries")
    assert not verify_password(None, "correct horse battery")
    assert not verify_password("not-a-hash", "correct horse battery")
