"""Passwords are hashed with argon2id at its recommended cost; only the test suite asks for less."""

from __future__ import annotations

import os
import subprocess
import sys

from argon2 import extract_parameters, profiles

from estate.auth import secrets

_HASH_IN_A_FRESH_PROCESS = "from estate.auth.secrets import hash_password; print(hash_password('pw'))"


def test_a_server_without_the_test_variable_hashes_at_argon2s_recommended_cost():
    environment = {key: value for key, value in os.environ.items() if key != secrets.TEST_HASHING_VARIABLE}
    printed = subprocess.run(
        [sys.executable, "-c", _HASH_IN_A_FRESH_PROCESS], env=environment, capture_output=True, text=True, check=True
    ).stdout.strip()
    parameters = extract_parameters(printed)
    assert parameters == profiles.RFC_9106_LOW_MEMORY
    assert secrets.verify_password(printed, "pw")
    assert not secrets.verify_password(printed, "other")


def test_hashes_of_either_cost_verify():
    cheap = secrets.hash_password("pw")
    assert extract_parameters(cheap) == profiles.CHEAPEST
    assert secrets.verify_password(cheap, "pw")
    assert not secrets.verify_password(None, "pw")
