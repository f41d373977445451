"""Each server process runs its blocking work on a pool of ESTATE_THREADS_PER_WORKER threads, and
keeps a database connection for each (docs/decisions/1121, 1123)."""

import anyio
from anyio import to_thread

from estate.app import create_app

QUIET = {"report_worker_seconds": 0}


def _pool_size_while_serving(app) -> float:  # type: ignore[no-untyped-def]
    async def started() -> float:
        async with app.router.lifespan_context(app):
            return to_thread.current_default_thread_limiter().total_tokens

    return anyio.run(started)


def test_the_thread_pool_has_the_configured_size(settings, engine):
    assert _pool_size_while_serving(create_app(settings.model_copy(update={**QUIET, "threads_per_worker": 3}),
                                               engine)) == 3
    assert _pool_size_while_serving(create_app(settings.model_copy(update=QUIET), engine)) == 4


def test_the_server_keeps_a_database_connection_for_each_thread(settings):
    for threads in (3, 4):
        app = create_app(settings.model_copy(update={**QUIET, "threads_per_worker": threads}))
        try:
            # More connections opened than kept are closed when returned, and opening one again
            # cost a busy worker a fifth of its requests per second.
            assert app.state.engine.pool.size() == threads
        finally:
            app.state.engine.dispose()
