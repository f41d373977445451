"""The URL surface is pinned: the coverage table in docs/ must match what the app serves."""

from __future__ import annotations

from pathlib import Path

from estate.kace.coverage import coverage_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "api" / "kace-coverage.md"


def test_kace_coverage_document_matches_the_served_routes(base_url, engine, settings):
    from estate.app import create_app

    generated = coverage_markdown(create_app(settings, engine))
    assert DOC.read_text() == generated, (
        "docs/api/kace-coverage.md is out of date: run `python -m estate.kace.coverage > docs/api/kace-coverage.md`"
    )


def test_every_served_kace_route_is_a_path_of_the_reference(engine, settings):
    from estate.app import create_app
    from estate.kace.coverage import _shape, served, spec_paths

    known = {(row.method, _shape(row.path)) for row in spec_paths()}
    from estate.kace.coverage import added_paths
    known |= {(row.method, _shape(row.path)) for row in added_paths()}
    extra = sorted(
        (method, path)
        for method, path in served(create_app(settings, engine))
        if path.startswith(("/api/", "/ams/")) and (method, path) not in known
    )
    assert extra == [], f"routes outside the reference (aliases belong out of the schema): {extra}"
