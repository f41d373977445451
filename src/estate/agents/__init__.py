"""Agents: enrolment tokens, enrolled machines and their secrets, and the work queue that agents
claim (script runs today, managed installs over the same rows)."""
