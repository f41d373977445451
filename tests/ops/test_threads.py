"""Each server process runs its blocking work on a pool of ESTATE_THREADS_PER_WORKER threads."""

import anyio
from anyio import to_thread

from estate.app import create_app


def _pool_size_while_serving(app) -> float:  # type: ignore[no-untyped-def]
    async def started() -> float:
        async with app.router.lifespan_context(app):
            return to_thread.current_default_thread_limiter().total_tokens

    return anyio.run(started)


def test_the_thread_pool_has_the_configured_size(settings, engine):
    quiet = {"report_worker_seconds": 0}
    assert _pool_size_while_serving(create_app(settings.model_copy(update={**quiet, "threads_per_worker": 3}),
                                               engine)) == 3
    assert _pool_size_while_serving(create_app(settings.model_copy(update=quiet), engine)) == 8
