"""AppTest against the small committee world (tests/portal/committee_actions.py) instead of the
demo: built in a fraction of a second, and salted with hostile text in every place a resident
or committee member can write something that is shown again."""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import Session, select

from portal.db import unit_of_work
from portal.models import (
    Area,
    CommitteeUser,
    Community,
    Consultation,
    Decision,
    Phase,
    Resident,
    Role,
    ThemeAssignment,
)
from portal.services import review
from portal.services.actors import SystemActor
from portal.services.identity import resident_actor
from portal.services.participation import add_comment, report, submit_opinion
from tests import factories
from tests.portal.committee_actions import World, build_world

# Each payload carries an ASCII marker that must never reach a Markdown or HTML element.
PAYLOADS = {
    "script": ("<script>alert('xss')</script>楼下路灯坏了很久了", "alert('xss')"),
    "iframe": ('<iframe src="https://evil.example/"></iframe>希望增加充电桩的数量', "<iframe"),
    "md-link": ("[点我领取停车补贴](javascript:alert(1)) 停车位太少了", "javascript:alert"),
    "img": ('<img src=x onerror="alert(document.cookie)">垃圾分类要加强督导', "onerror="),
    "md-bold": ("**全体居民必须签字** 楼道杂物要清理", "**全体居民必须签字**"),
}
# Names that come from files and forms (roster buildings and grids, the community, a consultation
# title, a committee member's name): each uses a Markdown feature of its own (an image from
# another address, Streamlit's colour and icon syntax, LaTeX, GFM autolinks).
NAME_PAYLOADS = {
    "building": ("![](http://127.0.0.1:8652/track.png)3号楼", "127.0.0.1:8652"),
    "grid": (":red[第一网格] [详情](javascript:alert(7))", ":red["),
    "community": ("$x^2$ 幸福里社区 :material/home:", "$x^2$"),
    "title": ("**置顶** <img src=http://127.0.0.1:8652/t.png> 小区环境整治", "<img src=http"),
    "display_name": ("~~王主任~~ www.evil.example", "www.evil.example"),
}
MARKERS = [marker for _, marker in PAYLOADS.values()] + [marker for _, marker in NAME_PAYLOADS.values()]


@dataclass
class SaltedWorld:
    world: World
    collecting_id: int
    published_id: int
    payload_opinions: list[int]  # in the collecting consultation
    published_opinion: int  # carries a payload, in the published consultation


def _salt_names(world: World) -> None:
    """Hostile building, grid, community, title and staff names, as an imported roster or a
    careless form would bring them."""
    with Session(world.engine) as s:
        for i, area in enumerate(s.exec(select(Area).where(Area.community_id == world.community_id)).all()):
            area.name = NAME_PAYLOADS["building"][0] + ("" if i == 0 else f"（{i}）")
            area.grid = NAME_PAYLOADS["grid"][0]
            s.add(area)
        community = s.get(Community, world.community_id)
        community.name = NAME_PAYLOADS["community"][0]
        consultation = s.get(Consultation, world.consultations[Phase.COLLECTING])
        consultation.title = NAME_PAYLOADS["title"][0]
        s.add_all([community, consultation])
        admin = world.committee[Role.ADMIN]
        user = s.get(CommitteeUser, admin.user_id)
        user.display_name = NAME_PAYLOADS["display_name"][0]
        s.add(user)
        s.commit()
    world.committee[Role.ADMIN] = dataclasses.replace(admin, display_name=NAME_PAYLOADS["display_name"][0])


def _salt(world: World) -> SaltedWorld:
    engine = world.engine
    cid = world.consultations[Phase.COLLECTING]
    _salt_names(world)
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
        hostile = factories.opinion(s, rw.consultation_id, s.get(Resident, world.residents[3]), PAYLOADS["script"][0])
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
    path = tmp_path_factory.mktemp("salted-world") / "portal.sqlite"
    return path, factories.database_file(path, lambda engine: _salt(build_world(engine)))


@pytest.fixture
def salted(salted_template, tmp_path, monkeypatch):
    """A private copy of the salted world; the app's DATABASE_URL points at it."""
    path, template = salted_template
    shutil.copy(path, tmp_path / "portal.sqlite")
    engine = factories.point_app_at(tmp_path, monkeypatch, tmp_path / "portal.sqlite")
    world = dataclasses.replace(template.world, engine=engine)
    yield dataclasses.replace(template, world=world)
    factories.release_app_database(engine)
