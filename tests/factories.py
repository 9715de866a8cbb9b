"""The one set of builders every test world is made from, so that each is written once.

- A page test's database: the portal's settings pointed at a SQLite file under ``tmp_path``,
  Streamlit's caches cleared before and after (``point_app_at``, ``seed_app_database``,
  ``seeded_app_database``, ``release_app_database``). The worlds themselves stay where they are
  (``tests.neighbourhood``, ``tests.portal.review_world``, ``tests.results_fixtures``,
  ``tests.ops_support``); these only put one of them behind the app.
- Small building blocks, each storing one kind of row and flushing it: ``community``,
  ``buildings`` (楼栋 in their 网格), ``residents``, ``staff`` (committee accounts with roles),
  ``consultation`` (in a given phase; ``days_from_now`` dates it against the real today, so a
  collecting consultation stays open whenever the suite runs), ``opinion`` (through the portal's
  one way to make an opinion, ``new_opinion``), ``vote``, ``comment``, ``analysis_run``,
  ``theme`` (with its opinions filed under it) and ``answer`` (a committee answer with its status
  timeline). The worlds and the demo-free page tests build on them.
- ``consultation_with_opinions``: a collecting consultation holding given texts, one new
  resident for each, with no analysis run.
- ``xlsx_bytes``: an Excel file (a roster, offline opinions) from rows of cells.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from portal import models
from portal.db import make_engine
from portal.services.actors import CommitteeActor
from portal.services.participation.opinions import new_opinion
from portal.services.text import public_text
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


def database_file(path: Path, build: Callable[[Engine], W]) -> W:
    """A SQLite file at ``path`` holding the portal's tables, filled by ``build(engine)`` while the
    portal's settings point at it (var dir beside it), then checkpointed so that copying the one
    file copies everything: a world built once per test process and copied for each test
    (``copy_database``, or ``point_app_at`` on the copy for a page test)."""
    names = ("PORTAL_VAR_DIR", "DATABASE_URL", "PORTAL_SECRET_KEY")
    old = {k: os.environ.get(k) for k in names}
    os.environ.update({k: demo_env(path.parent / "var", path)[k] for k in names})
    get_settings.cache_clear()
    try:
        engine = make_engine(f"sqlite:///{path}")
        SQLModel.metadata.create_all(engine)
        world = build(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()
    return world


def copy_database(template: Path, to: Path) -> Engine:
    """A private copy of the SQLite file ``template`` at ``to``, and an engine on it."""
    shutil.copy(template, to)
    return make_engine(f"sqlite:///{to}")


def community(session: Session, *, name: str = "梧桐里社区", district: str = "") -> models.Community:
    """A stored 社区 (flushed, so it has its id)."""
    c = models.Community(name=name, district=district)
    session.add(c)
    session.flush()
    return c


def buildings(session: Session, community: models.Community,
              names_and_grids: Iterable[tuple[str, str]], *, numbered: bool = False) -> list[models.Area]:
    """The community's 楼栋, each in its 网格, stored and flushed; with ``numbered`` their
    ``position`` is 1, 2, 3 … in the order given."""
    areas = [models.Area(community_id=community.id, name=name, grid=grid,
                         **({"position": i} if numbered else {}))
             for i, (name, grid) in enumerate(names_and_grids, start=1)]
    session.add_all(areas)
    session.flush()
    return areas


def residents(session: Session, community: models.Community, areas: Sequence[models.Area],
              count: int, *, age_bands: Sequence[str] = ("",), units: int = 0,
              per_area: bool = False) -> list[models.Resident]:
    """``count`` residents of ``community``, stored and flushed.

    Resident ``i`` lives in ``areas[i % len(areas)]``, is in ``age_bands[i % len(age_bands)]``
    and, with ``units``, in 单元 ``i % units + 1``. With ``per_area`` there are ``count`` in each
    area instead (area by area, ``i`` counting within the area), each with a 户号
    ``{楼栋}-{i+1:02d}``, as a roster import leaves them."""
    def one(i: int, area: models.Area, **extra: Any) -> models.Resident:
        return models.Resident(community_id=community.id, area_id=area.id,
                               age_band=age_bands[i % len(age_bands)],
                               **({"unit": f"{i % units + 1}单元"} if units else {}), **extra)

    people = ([one(i, a, household_ref=f"{a.name}-{i + 1:02d}") for a in areas for i in range(count)]
              if per_area else [one(i, areas[i % len(areas)]) for i in range(count)])
    session.add_all(people)
    session.flush()
    return people


PASSWORD = "Passw0rd2026"
STAFF = ((models.Role.ADMIN, "admin", "王主任"), (models.Role.REVIEWER, "reviewer", "李委员"),
         (models.Role.CLERK, "clerk", "张社工"))


@lru_cache(maxsize=1)
def password_hash() -> str:
    """``PASSWORD`` hashed, once per test process (argon2 is slow on purpose)."""
    from portal.services.identity.accounts import _hasher

    return _hasher.hash(PASSWORD)


def staff(session: Session, community: models.Community | None,
          accounts: Iterable[tuple[models.Role, str, str]] = STAFF) -> dict[models.Role, CommitteeActor]:
    """Committee accounts (role, username, display name) of ``community``, each signing in with
    ``PASSWORD``; returns their actors by role."""
    from portal.services.identity import committee_actor

    actors = {}
    for role, username, name in accounts:
        user = models.CommitteeUser(username=username, display_name=name, role=role,
                                    password_hash=password_hash(), community_id=community.id if community else None)
        session.add(user)
        session.flush()
        actors[role] = committee_actor(user)
    return actors


def days_from_now(days: float) -> datetime:
    """The real now (UTC) moved by ``days`` (negative: in the past)."""
    return datetime.now(UTC) + timedelta(days=days)


def utc_day(d: date, hour: int = 9) -> datetime:
    """``hour`` o'clock (UTC) on day ``d``."""
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


def consultation(session: Session, community: models.Community, *, title: str, question: str,
                 phase: models.Phase = models.Phase.COLLECTING, **fields: Any) -> models.Consultation:
    """A stored consultation of ``community`` in ``phase``; ``fields`` are further columns
    (``background``, ``opens_at``, ``closes_at``, ``published_at`` …)."""
    c = models.Consultation(community_id=community.id, title=title, question=question, phase=phase,
                            **fields)
    session.add(c)
    session.flush()
    return c


def opinion(session: Session, consultation: models.Consultation | int, author: models.Resident | None,
            text: str, *, channel: models.Channel = models.Channel.WEB, received_at: datetime | None = None,
            created_at: datetime | None = None, hidden: str = "", area_id: int | None = None) -> models.Opinion:
    """An opinion written by ``author`` (in their 楼栋), made the way every channel makes one
    (``new_opinion``: cleaned, checked, redacted, flagged). With ``hidden`` (the reason) the
    committee has hidden it."""
    cid = consultation if isinstance(consultation, int) else consultation.id
    op, _ = new_opinion(session, consultation_id=cid, text=text, channel=channel,  # type: ignore[arg-type]
                        resident_id=author.id if author else None,
                        area_id=author.area_id if author else area_id,
                        received_at=received_at, created_at=created_at)
    if hidden:
        op.visibility = models.Visibility.HIDDEN
        op.moderation_reason = hidden
        session.add(op)
        session.flush()
    return op


def vote(session: Session, opinion: models.Opinion, voter: models.Resident,
         value: models.VoteValue = models.VoteValue.AGREE) -> models.Vote:
    """``voter``'s vote on ``opinion``."""
    from portal.services import participants

    v = models.Vote(opinion_id=opinion.id, resident_id=voter.id, value=value)
    session.add(v)
    # as casting a vote does: the voter takes part in the consultation
    participants.record(session, consultation_id=opinion.consultation_id, resident_id=voter.id)
    return v


def comment(session: Session, opinion: models.Opinion, author: models.Resident, text: str, *,
            parent: models.Comment | None = None, hidden: bool = False, created_at: datetime | None = None) -> models.Comment:
    """A comment (a reply with ``parent``) on ``opinion``, its public text redacted; with
    ``hidden`` the committee has hidden it."""
    c = models.Comment(opinion_id=opinion.id, parent_id=parent.id if parent else None,
                       resident_id=author.id, text_original=text,
                       text_public=text if hidden else public_text(text)[0],
                       **({"visibility": models.Visibility.HIDDEN} if hidden else {}),
                       **({"created_at": created_at} if created_at else {}))
    session.add(c)
    session.flush()
    return c


def analysis_run(session: Session, consultation: models.Consultation, *, n_opinions: int,
                 finished_at: datetime | None = None) -> models.AnalysisRun:
    """A finished analysis run of ``consultation`` (its ``summary`` is the caller's to fill)."""
    run = models.AnalysisRun(consultation_id=consultation.id, status=models.RunStatus.SUCCEEDED,
                             n_opinions=n_opinions, finished_at=finished_at or datetime.now(UTC))
    session.add(run)
    session.flush()
    return run


def theme(session: Session, consultation: models.Consultation | int, label: str,
          opinions: Iterable[models.Opinion] = (), *,
          source: models.AssignmentSource = models.AssignmentSource.MODEL, score: float | None = None,
          **fields: Any) -> models.Theme:
    """A theme of ``consultation`` with ``opinions`` filed under it (by ``source``); ``fields``
    are further columns (``run_id``, ``keywords``, ``status`` …)."""
    cid = consultation if isinstance(consultation, int) else consultation.id
    t = models.Theme(consultation_id=cid, label=label, **fields)  # type: ignore[arg-type]
    session.add(t)
    session.flush()
    for op in opinions:
        session.add(models.ThemeAssignment(opinion_id=op.id, theme_id=t.id, source=source,
                                           **({"score": score} if score is not None else {})))
    return t


def answer(session: Session, theme: models.Theme, decision: models.Decision, reasoning: str,
           responsible_party: str, *, due_date: date | None = None, created_at: datetime | None = None,
           updates: Iterable[tuple[models.ThemeStatus, str, datetime]] = ()) -> models.Response:
    """The committee's answer to ``theme`` and its status updates (status, note, when); the
    theme takes the last update's status."""
    r = models.Response(theme_id=theme.id, decision=decision, reasoning=reasoning,
                        responsible_party=responsible_party, due_date=due_date,
                        **({"created_at": created_at} if created_at else {}))
    session.add(r)
    for status, note, at in updates:
        session.add(models.StatusUpdate(theme_id=theme.id, status=status, note=note, created_at=at))
        theme.status = status
    session.add(theme)
    return r


def consultation_with_opinions(engine: Engine, texts: Iterable[str], *, title: str, question: str,
                               area_name: str, grid: str = "第二网格",
                               reuse_community: bool = False) -> int:
    """A new collecting consultation in 梧桐里社区 holding ``texts``, each written by a new resident
    of ``area_name``; returns its id.

    By default the community and the area are new. With ``reuse_community`` the database's first
    community and that community's first area are used where they exist (so several
    consultations can share one neighbourhood)."""
    with Session(engine, expire_on_commit=False) as s:
        hood = (s.exec(select(models.Community)).first() if reuse_community else None) or community(s)
        area = (s.exec(select(models.Area).where(models.Area.community_id == hood.id)).first()
                if reuse_community else None) or buildings(s, hood, [(area_name, grid)])[0]
        c = consultation(s, hood, title=title, question=question)
        texts = list(texts)
        for author, text in zip(residents(s, hood, [area], len(texts)), texts, strict=True):
            opinion(s, c, author, text)
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
