"""Helpers for public-page tests: a seeded results database and all text a page shows."""

from __future__ import annotations

import io
import json
import re

import pytest
from google.protobuf.json_format import MessageToDict

import portal.models  # noqa: F401
from tests.factories import seeded_app_database
from tests.results_fixtures import seed_results


def _arrow_csv(data: bytes) -> str:
    import pyarrow as pa

    return pa.ipc.open_stream(io.BytesIO(data)).read_pandas().to_csv()


def page_text(at) -> str:  # type: ignore[no-untyped-def]
    """Everything on the page: texts, captions, metrics, labels, tables, chart specs and data.

    Strings are decoded (no \\u escapes) so a search for Chinese text finds it wherever it is.
    """
    out: list[str] = []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        proto = getattr(node, "proto", None)
        if node.type in ("dataframe", "arrow_data_frame"):
            out.append(node.value.to_csv())
        elif proto is not None:
            as_dict = MessageToDict(proto)
            if "spec" in as_dict:  # vega-lite: the spec is a JSON string, datasets are Arrow
                out.append(json.dumps(json.loads(as_dict.pop("spec")), ensure_ascii=False))
                for ds in getattr(proto, "datasets", []):
                    out.append(_arrow_csv(ds.data.data))
                if getattr(proto, "HasField", None) and proto.HasField("data"):
                    out.append(_arrow_csv(proto.data.data))
                as_dict.pop("datasets", None)
                as_dict.pop("data", None)
            out.append(json.dumps(as_dict, ensure_ascii=False))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    # Markdown bodies carry people's text escaped by widgets.md (30\-44 for 30-44); a
    # reader sees it unescaped, and so must every search of the page for what it shows.
    return _MD_ESCAPED.sub(r"\1", "\n".join(out))


_PUNCT = r"([!-/:-@\[-`{-~])"  # what widgets.md escapes: ASCII punctuation
_MD_ESCAPED = re.compile(r"\\\\" + _PUNCT)  # in the JSON text: backslash, backslash, punctuation


def unescape_md(text: str) -> str:
    """A Markdown body as a reader sees it: md's backslash escapes and word joiners removed."""
    return re.sub(r"\\" + _PUNCT, r"\1", text).replace("\u2060", "")


@pytest.fixture
def results_db(tmp_path, monkeypatch):
    """A SQLite file seeded with ``tests.results_fixtures``; the app's settings point at it."""
    yield from seeded_app_database(tmp_path, monkeypatch, "results.sqlite", seed_results)


RESULTS = "app_pages/public/results.py"
RESULTS_TABS = ("主题与回应", "参与情况", "共识与分歧", "下载与公示")


def results_tabs(consultation_id: int, tabs: tuple[str, ...] = RESULTS_TABS) -> list:
    """The results page opened once per tab, in tab order: only the open tab is built, as a
    visitor following a link ``…&tab=参与情况`` gets it."""
    from tests.pages.conftest import open_page

    return [open_page(RESULTS, query={"id": str(consultation_id), "tab": name}) for name in tabs]
