"""Estate's test suite.

Imported before any test module or conftest: accounts made by the suite (and by the processes it
starts) hash their passwords with argon2's cheapest parameters, which keeps an organization with
three accounts at a few milliseconds instead of half a second."""

import os

os.environ.setdefault("ESTATE_TEST_CHEAP_PASSWORD_HASHES", "1")
