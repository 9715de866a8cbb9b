"""The load script's websocket visitor really renders pages: a small crowd on a live portal."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.load_http import _corpus_database, consultation_ids, crowd, visit
from tests.support import start_portal


def _run(coro):
    """asyncio.run in a thread of its own: Playwright's sync API may already run an event loop
    in this test process's main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.mark.slow
def test_a_small_crowd_is_served_without_errors(tmp_path):
    db = tmp_path / "portal.sqlite"
    _corpus_database(db)
    ids = consultation_ids(db)
    proc, url = start_portal(tmp_path / "var", db)
    try:
        ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        tally, _wall = _run(crowd(ws_url, ids, visitors=3, pages=3, page_timeout=60, seed=1))
        assert tally.errors == []
        assert len(tally.latencies) == 9
        assert tally.elements / 9 > 20  # real pages, not an empty shell
        # a page that does not exist is counted as an error, not as served
        bad = _run(visit(ws_url, [("no-such-page", "")], page_timeout=60))
        assert bad.latencies == [] and bad.errors == ["page not found: no-such-page"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
