"""Helpers for public-page tests: a seeded results database and all text a page shows."""

from __future__ import annotations

import io
import json
import os

import pytest
import streamlit as st
from google.protobuf.json_format import MessageToDict
from sqlmodel import Session, SQLModel

import portal.models  # noqa: F401
from portal.db import make_engine
from portal.settings import get_settings
from tests.results_fixtures import seed_results
from tests.support import demo_env


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
    return "\n".join(out)


@pytest.fixture
def results_db(tmp_path, monkeypatch):
    """A SQLite file seeded with ``tests.results_fixtures``; the app's settings point at it."""
    db = tmp_path / "results.sqlite"
    for key, value in demo_env(tmp_path / "var", db).items():
        if os.environ.get(key) != value:
            monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()
    engine = make_engine(f"sqlite:///{db}")
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        seeded = seed_results(session)
    yield engine, seeded
    engine.dispose()
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()
