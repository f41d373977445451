"""Concurrent logins, reads and writes never fail with a locked database."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import update

from estate.auth.models import AuthSession
from estate.db.base import utcnow
from tests.kace_client import KaceClient


def test_concurrent_logins_reads_and_writes(base_url, org, sessions):
    clients = [KaceClient(base_url) for _ in range(8)]
    try:
        for client in clients:
            client.login(org.admin.login, org.admin.password)
        # Every session is due for its activity to be recorded: reads write last_seen afterwards.
        with sessions.begin() as db:
            db.execute(
                update(AuthSession)
                .where(AuthSession.account_id == org.admin.id)
                .values(last_seen=utcnow() - timedelta(minutes=5))
            )

        def work(index: int) -> list[int]:
            client = clients[index % len(clients)]
            statuses = [client.get("/api/users/me/").status_code]
            statuses.append(client.post("/ams/shared/api/locations", json={"name": f"Site {index}"}).status_code)
            credentials = {"userName": org.user.login, "password": org.user.password}
            with KaceClient(base_url) as fresh:
                statuses.append(fresh.post("/ams/shared/api/security/login", json=credentials).status_code)
            return statuses

        with ThreadPoolExecutor(max_workers=16) as pool:
            results = [status for statuses in pool.map(work, range(32)) for status in statuses]
    finally:
        for client in clients:
            client.close()
    assert set(results) == {200}
    with KaceClient(base_url) as admin:
        admin.login(org.admin.login, org.admin.password)
        names = {row["name"] for row in admin.get(f"/ams/shared/api/organizations/{org.id}/locations").json()}
    assert names == {f"Site {index}" for index in range(32)}
