"""AppTest against the small committee world (tests/portal/committee_actions.py) instead of the
demo: built in a fraction of a second, and salted with hostile text in every place a resident
or committee member can write something that is shown again."""

from __future__ import annotations

import dataclasses
import os
import shutil
from dataclasses import dataclass
from datetime import date

import pytest
import streamlit as st
from sqlmodel import Session, SQLModel

from portal.db import make_engine, unit_of_work
from portal.models import Decision, Opinion, Phase, Resident, ThemeAssignment
from portal.services import review
from portal.services.actors import SystemActor
from portal.services.identity import resident_actor
from portal.services.participation import add_comment, report, submit_opinion
from portal.settings import get_settings
from tests.portal.committee_actions import World, build_world

# Each payload carries an ASCII marker that must never reach a Markdown or HTML element.
PAYLOADS = {
    "script": ("<script>alert('xss')</script>楼下路灯坏了很久了", "alert('xss')"),
    "iframe": ('<iframe src="https://evil.example/"></iframe>希望增加充电桩的数量', "<iframe"),
    "md-link": ("[点我领取停车补贴](javascript:alert(1)) 停车位太少了", "javascript:alert"),
    "img": ('<img src=x onerror="alert(document.cookie)">垃圾分类要加强督导', "onerror="),
    "md-bold": ("**全体居民必须签字** 楼道杂物要清理", "**全体居民必须签字**"),
}
MARKERS = [marker for _, marker in PAYLOADS.values()]


@dataclass
class SaltedWorld:
    world: World
    collecting_id: int
    published_id: int
    payload_opinions: list[int]  # in the collecting consultation
    published_opinion: int  # carries a payload, in the published consultation


def _salt(world: World) -> SaltedWorld:
    engine = world.engine
    cid = world.consultations[Phase.COLLECTING]
    with Session(engine, expire_on_commit=False) as s:
        residents = [resident_actor(s, s.get(Resident, rid)) for rid in world.residents]
    opinions = []
    for i, (text, _marker) in enumerate(PAYLOADS.values()):
        done = unit_of_work(engine, lambda s, i=i, text=text: submit_opinion(
            s, actor=residents[i % len(residents)], consultation_id=cid, text=text))
        opinions.append(done.opinion.id)
    for i, (text, _marker) in enumerate(PAYLOADS.values()):
        unit_of_work(engine, lambda s, i=i, text=text: add_comment(
            s, actor=residents[(i + 1) % len(residents)], opinion_id=opinions[0], text=text))
    unit_of_work(engine, lambda s: report(s, actor=residents[2], target_type="opinion", target_id=opinions[1],
                                          reason=PAYLOADS["iframe"][0]))
    # Committee-written text that goes public: a theme label and an answer, then publish.
    rw = world.rw
    system = SystemActor("setup")

    def committee(s: Session) -> int:
        review.rename_theme(s, actor=system, theme_id=rw.themes["车位不足"], label="[车位](javascript:alert(1))")
        review.save_response(s, actor=system, theme_id=rw.themes["车位不足"], decision=Decision.PARTIAL,
                             reasoning=PAYLOADS["img"][0] + "，东门空地改临时车位",
                             responsible_party="<script>alert(2)</script>物业公司",
                             due_date=date(2027, 1, 31))
        hostile = Opinion(consultation_id=rw.consultation_id, area_id=world.area_id,
                          resident_id=world.residents[3], text_original=PAYLOADS["script"][0],
                          text_public=PAYLOADS["script"][0])
        s.add(hostile)
        s.flush()
        s.add(ThemeAssignment(opinion_id=hostile.id, theme_id=rw.themes["车位不足"]))
        review.add_status_update(s, actor=system, theme_id=rw.themes["车位不足"], status="in_progress",
                                 note=PAYLOADS["md-link"][0])
        review.publish_results(s, actor=system, consultation_id=rw.consultation_id, confirm_unanswered=True,
                               confirm_unreviewed=True)
        return hostile.id  # type: ignore[return-value]

    hostile_id = unit_of_work(engine, committee)
    return SaltedWorld(world, cid, rw.consultation_id, opinions, hostile_id)


@pytest.fixture(scope="session")
def salted_template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("salted-world")
    path = folder / "portal.sqlite"
    old = {k: os.environ.get(k) for k in ("PORTAL_VAR_DIR", "DATABASE_URL", "PORTAL_SECRET_KEY")}
    os.environ.update(PORTAL_VAR_DIR=str(folder / "var"), DATABASE_URL=f"sqlite:///{path}",
                      PORTAL_SECRET_KEY="test-secret-key")
    get_settings.cache_clear()
    try:
        engine = make_engine(f"sqlite:///{path}")
        SQLModel.metadata.create_all(engine)
        salted = _salt(build_world(engine))
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
    return path, salted


@pytest.fixture
def salted(salted_template, tmp_path, monkeypatch):
    """A private copy of the salted world; the app's DATABASE_URL points at it."""
    path, template = salted_template
    copy = tmp_path / "portal.sqlite"
    shutil.copy(path, copy)
    url = f"sqlite:///{copy}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PORTAL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PORTAL_SECRET_KEY", "test-secret-key")
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()
    engine = make_engine(url)
    world = dataclasses.replace(template.world, engine=engine)
    yield dataclasses.replace(template, world=world)
    engine.dispose()
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()
