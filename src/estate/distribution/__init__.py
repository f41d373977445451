"""Software distribution: package files, managed installs and their targets, and what agents do
with them.

Loading the domain registers what it learns from every stored inventory (see deploy.py)."""

from estate.distribution import deploy as _deploy  # noqa: F401
