"""Scripting: scripts (online, offline, shell), their tasks and dependencies, runs on machines and
what each machine reported."""
