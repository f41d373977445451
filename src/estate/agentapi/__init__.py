"""The server side of the agent protocol (`/agent/v1/...`): enrol, inventory, check-in (long-poll),
download, report. docs/agent-protocol.md describes it."""
