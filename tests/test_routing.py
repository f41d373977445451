"""The app finds a request's route from its leading path segments (estate.operations.routing):
every kind of answer routing gives stays what FastAPI's own matching gives."""

from __future__ import annotations

import httpx

from estate.operations.routing import RouteIndex


def test_a_route_answers_a_wrong_method_405_and_an_unknown_path_404(base_url):
    with httpx.Client(base_url=base_url) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        wrong = client.post("/healthz")
        assert wrong.status_code == 405 and wrong.headers["allow"] == "GET"
        assert client.get("/no/such/path").status_code == 404
        assert client.get("/api/inventory/machines/not-a-number/nor/this").status_code == 404


def test_a_path_with_a_trailing_slash_its_route_lacks_is_redirected_to_the_route(base_url):
    with httpx.Client(base_url=base_url) as client:
        moved = client.get("/redoc/")
    assert moved.status_code == 307
    assert moved.headers["location"].endswith("/redoc")


def test_routes_under_a_parameter_or_a_mount_are_found_too(base_url, admin):
    assert admin.get("/api/users/me/").status_code == 200
    with httpx.Client(base_url=base_url) as client:
        assert client.get("/docs").status_code == 200  # shorter than the indexed segments
        assert client.get("/docs/assets/no-such-file.css").status_code == 404  # the static mount answers


def test_the_index_keeps_the_order_of_routes_that_share_a_prefix():
    from starlette.routing import Route

    async def endpoint(request):  # pragma: no cover - never called
        raise AssertionError

    first, parameter, second = Route("/a/b/c", endpoint), Route("/a/{x}", endpoint), Route("/a/b/{y}", endpoint)
    index = RouteIndex([first, parameter, second])
    assert index._candidates("/a/b/c") == [first, parameter, second]
    assert index._candidates("/z") == []
