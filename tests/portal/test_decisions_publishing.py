"""The notice PDF's section 三、问卷与业主表决 and the open-data tables poll_results / owners_votes."""

from __future__ import annotations

import io
import json
import zipfile

from sqlmodel import Session

from portal.db import unit_of_work
from portal.models import Consultation, OwnerChoice, Phase, utcnow
from portal.services.decisions import (
    answer_poll,
    cast_owner_ballot,
    close_owners_vote,
    publish_owners_vote,
    questions_of,
)
from portal.services.publishing import opendata
from portal.services.publishing.notice_pdf import notice_pdf
from tests.pdf_text import pdf_text
from tests.portal.decisions_world import lift_decision


def _published(engine):
    with Session(engine, expire_on_commit=False) as s:
        w, poll_id = lift_decision(s)
        qids = [q.id for q in questions_of(s, poll_id)]
    for i, scheme in enumerate((0, 1, 1)):
        unit_of_work(engine, lambda s, i=i, scheme=scheme: answer_poll(
            s, actor=w.others[i], poll_id=poll_id, answers={qids[0]: [scheme], qids[1]: [2], qids[2]: [2, 0, 1]}))
    for i in range(6):
        unit_of_work(engine, lambda s, i=i: cast_owner_ballot(
            s, actor=w.owners[i], vote_id=w.vote_id, choice=OwnerChoice.AGREE if i < 4 else OwnerChoice.OPPOSE))
    unit_of_work(engine, lambda s: close_owners_vote(s, actor=w.admin, vote_id=w.vote_id))
    unit_of_work(engine, lambda s: publish_owners_vote(s, actor=w.admin, vote_id=w.vote_id, as_passed=False))
    with Session(engine) as s:
        c = s.get(Consultation, w.consultation_id)
        c.phase, c.published_at = Phase.PUBLISHED, utcnow()
        s.add(c)
        s.commit()
    return w, poll_id


def test_the_notice_prints_polls_and_the_owners_vote_under_section_three(engine, settings):
    w, _ = _published(engine)
    with Session(engine) as s:
        text = pdf_text(notice_pdf(s, w.consultation_id))
    flat = "".join(text.split())
    assert "三、问卷与业主表决" in flat
    assert "问卷“电梯方案问卷”：共3份答卷（网上3份）" in flat
    assert "方案二：连廊平层入" in flat and "2人·67%" in flat  # long option labels are shortened
    # 6 of 8 flats took part (572 of 701.6 m²); 4 agreed with 331.4 m²: not 3/4 of either
    assert "参与：6/8户（75.0%），572/701.6平方米（81.5%），门槛各2/3：达到" in flat
    assert "同意：4/6户（66.7%），331.4/572平方米（57.9%），门槛各3/4：未达到" in flat
    assert "表决结果：未通过" in flat and "参与者中还差1户和97.6平方米同意" in flat


def test_open_data_carries_poll_results_and_owners_votes(engine, settings):
    w, poll_id = _published(engine)
    with Session(engine) as s:
        data = opendata.collect(s, w.consultation_id)
    polls = data.tables["poll_results"]
    scheme = polls[polls["question"] == "您更倾向哪个加装方案？"]
    assert list(scheme["count"]) == [1, 2] and list(scheme["respondents"]) == [3, 3]
    ranking = polls[polls["kind"] == "排序"]
    assert list(ranking["option"])[0] == "寒暑假集中施工" and list(ranking["points"])[0] == 6
    votes = json.loads(opendata.to_json_bytes(data))["owners_votes"]
    assert [(v["voted_households"], v["agree_area_m2"], v["passed"]) for v in votes] == [(6, 331.4, "否")]
    with zipfile.ZipFile(io.BytesIO(opendata.to_zip_bytes(data))) as z:
        assert {"poll_results.csv", "owners_votes.csv"} <= set(z.namelist())
        assert "业主表决" in z.read("README.txt").decode("utf-8")
