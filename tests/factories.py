"""Builders the test worlds share, so that each is written once.

- A page test's database: the portal's settings pointed at a SQLite file under ``tmp_path``,
  Streamlit's caches cleared before and after (``point_app_at``, ``seed_app_database``,
  ``seeded_app_database``, ``release_app_database``). The worlds themselves stay where they are
  (``tests.neighbourhood``, ``tests.portal.review_world``, ``tests.results_fixtures``,
  ``tests.ops_support``); these only put one of them behind the app.
- ``consultation_with_opinions``: a collecting consultation holding given texts, one new
  resident for each, with no analysis run.
- ``xlsx_bytes``: an Excel file (a roster, offline opinions) from rows of cells.
- Building blocks every world starts from: ``community`` and ``buildings`` (its 楼栋 in their
  网格). The worlds (``tests.neighbourhood``, ``tests.portal.review_world``,
  ``tests.results_fixtures``, ``consultation_with_opinions``) build on them.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from portal.db import make_engine
from portal.models import Area, Community, Consultation, Opinion, Phase, Resident
from portal.settings import get_settings
from tests.support import demo_env

W = TypeVar("W")


def clear_app_caches() -> None:
    """Forget the settings and Streamlit's cached resources and data."""
    import streamlit as st

    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()


def point_app_at(tmp_path: Path, monkeypatch, db: Path) -> Engine:
    """Point the portal's settings at the SQLite file ``db`` (var dir ``tmp_path / "var"``), clear
    the caches, and return an engine on it."""
    for key, value in demo_env(tmp_path / "var", db).items():
        if os.environ.get(key) != value:
            monkeypatch.setenv(key, value)
    clear_app_caches()
    return make_engine(get_settings().database_url)


def release_app_database(engine: Engine) -> None:
    """A page fixture's teardown: dispose of the engine and clear the caches again."""
    engine.dispose()
    clear_app_caches()


def seed_app_database(tmp_path: Path, monkeypatch, filename: str,
                      build: Callable[[Session], W]) -> tuple[Engine, W]:
    """A fresh SQLite file ``tmp_path / filename`` behind the app, its tables created and filled
    by ``build(session)``; returns (engine, what ``build`` returned). No teardown: see
    ``seeded_app_database`` for the fixture form."""
    engine = point_app_at(tmp_path, monkeypatch, tmp_path / filename)
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        world = build(session)
    return engine, world


def seeded_app_database(tmp_path: Path, monkeypatch, filename: str,
                        build: Callable[[Session], W]) -> Iterator[tuple[Engine, W]]:
    """Generator for a page-test fixture: ``seed_app_database``, yield (engine, world), then
    ``release_app_database``."""
    engine, world = seed_app_database(tmp_path, monkeypatch, filename, build)
    yield engine, world
    release_app_database(engine)


def community(session: Session, *, name: str = "梧桐里社区", district: str = "") -> Community:
    """A stored 社区 (flushed, so it has its id)."""
    c = Community(name=name, district=district)
    session.add(c)
    session.flush()
    return c


def buildings(session: Session, community: Community, names_and_grids: Iterable[tuple[str, str]], *,
              numbered: bool = False) -> list[Area]:
    """The community's 楼栋, each in its 网格, stored and flushed; with ``numbered`` their
    ``position`` is 1, 2, 3 … in the order given."""
    areas = [Area(community_id=community.id, name=name, grid=grid, **({"position": i} if numbered else {}))
             for i, (name, grid) in enumerate(names_and_grids, start=1)]
    session.add_all(areas)
    session.flush()
    return areas


def consultation_with_opinions(engine: Engine, texts: Iterable[str], *, title: str, question: str,
                               area_name: str, grid: str = "第二网格",
                               reuse_community: bool = False) -> int:
    """A new collecting consultation in 梧桐里社区 holding ``texts``, each written by a new resident
    of ``area_name``; returns its id.

    By default the community and the area are new. With ``reuse_community`` the database's first
    community and that community's first area are used where they exist (so several
    consultations can share one neighbourhood)."""
    with Session(engine, expire_on_commit=False) as s:
        hood = (s.exec(select(Community)).first() if reuse_community else None) or community(s)
        area = (s.exec(select(Area).where(Area.community_id == hood.id)).first()
                if reuse_community else None) or buildings(s, hood, [(area_name, grid)])[0]
        c = Consultation(community_id=hood.id, title=title, phase=Phase.COLLECTING,
                         question=question)
        s.add(c)
        s.flush()
        for text in texts:
            r = Resident(community_id=hood.id, area_id=area.id)
            s.add(r)
            s.flush()
            s.add(Opinion(consultation_id=c.id, resident_id=r.id, area_id=area.id,
                          text_original=text, text_public=text))
        s.commit()
        return c.id  # type: ignore[return-value]


def xlsx_bytes(rows: Iterable[list[Any]], merge: str | None = None) -> bytes:
    """An .xlsx file whose first sheet holds ``rows``, with the cells ``merge`` (e.g. "B3:B4")
    merged."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    if merge:
        ws.merge_cells(merge)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
