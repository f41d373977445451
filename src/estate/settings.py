"""All configuration, read once from the environment (prefix ``ESTATE_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ESTATE_", extra="ignore")

    database_url: str = "sqlite:///./var/estate.db"
    # Uploaded files (attachments) live below this folder.
    data_dir: Path = Path("./var/data")

    # Only read when the database is empty: the first account `admin` and the i-doit API key of
    # organization Default. Without them, random values are generated and printed once.
    admin_password: str | None = None
    idoit_apikey: str | None = None

    session_idle_minutes: int = Field(default=60, ge=1)
    # How long a worker answers a KACE request's caller from what it resolved for the same cookies
    # (estate.auth.callers); another worker's logout or role change is seen within this. 0: never.
    caller_cache_seconds: float = Field(default=2.0, ge=0, le=60)
    # Wrong passwords per account and source within the window before logins are refused.
    login_max_failures: int = Field(default=5, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)

    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_attachment_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    rpc_max_batch: int = Field(default=500, ge=1)
    # How often each server process marks the tickets that went overdue without a write; 0: never.
    escalation_check_seconds: float = Field(default=60, ge=0)

    # Whether cookies carry the Secure flag; "auto" follows the request's scheme.
    cookie_secure: str = "auto"

    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto headers are believed: addresses or
    # networks, comma-separated ("127.0.0.1", "10.0.0.0/8,::1"), or "*". Empty: none are, so a
    # client cannot choose the address its failed logins are counted against.
    trusted_proxies: str = ""

    log_level: str = "info"
    # "text" (a line a person reads) or "json" (one object per line, for log pipelines).
    log_format: Literal["text", "json"] = "text"

    # Scripting and the agent channel.
    max_dependency_bytes: int = Field(default=1024 * 1024 * 1024, ge=1024)
    # A run's machines whose agent has not taken the work by then are "push failed".
    script_run_expiry_seconds: int = Field(default=3600, ge=1)
    # Server processes `estate serve` starts; 0: one per core this process may run on.
    workers: int = Field(default=0, ge=0)
    # Threads each server process runs its blocking work (queries, commits, file copies) on; the
    # process keeps a database connection for each.
    threads_per_worker: int = Field(default=4, ge=1, le=200)
    # Longest an agent's check-in is held open waiting for work; agents ask for less.
    agent_poll_seconds: int = Field(default=55, ge=1, le=300)
    # How often each server process looks for work another process created for its waiting agents.
    agent_wake_check_seconds: float = Field(default=2.0, gt=0, le=60)
    # Requests per second each agent may make (a burst of 4x is allowed); more answer 429.
    agent_requests_per_second: float = Field(default=5.0, gt=0)
    # Interval the agents are told to send their inventory at.
    agent_inventory_seconds: int = Field(default=4 * 3600, ge=10)

    # Software distribution: the largest package file a managed install may carry.
    max_package_bytes: int = Field(default=4 * 1024 * 1024 * 1024, ge=1024)
    # Reports: how often each server process looks for queued and scheduled report jobs (0: never,
    # this process runs none), and how long a finished report is kept for download.
    report_worker_seconds: float = Field(default=2.0, ge=0)
    report_keep_seconds: int = Field(default=24 * 3600, ge=1)


@lru_cache
def get_settings() -> Settings:
    return Settings()
