import pytest

from portal.models import Community, Consultation, Phase, Role
from portal.services.actors import CommitteeActor
from portal.services.consultations import (
    can_submit_opinion,
    can_vote,
    change_phase,
    get_consultation,
    list_consultations,
)
from portal.services.errors import InvalidInput, NotFound, PermissionDenied

# staff of the fixture's community (the first one stored: id 1)
ADMIN = CommitteeActor(1, "admin", "王主任", Role.ADMIN, community_id=1)
REVIEWER = CommitteeActor(2, "reviewer", "李委员", Role.REVIEWER, community_id=1)
CLERK = CommitteeActor(3, "clerk", "张社工", Role.CLERK, community_id=1)


@pytest.fixture
def consultation(session):
    community = Community(name="梧桐里社区")
    session.add(community)
    session.flush()
    c = Consultation(community_id=community.id, title="老旧小区加装电梯", question="您对加装电梯有什么意见？")
    session.add(c)
    session.commit()
    return c


def test_drafts_are_invisible_to_the_public(session, consultation):
    assert list_consultations(session) == []
    with pytest.raises(NotFound):
        get_consultation(session, consultation.id)
    change_phase(session, actor=ADMIN, consultation_id=consultation.id, to=Phase.COLLECTING)
    session.commit()
    assert [card.consultation.title for card in list_consultations(session)] == ["老旧小区加装电梯"]


def test_phases_move_one_step_at_a_time(session, consultation):
    with pytest.raises(InvalidInput, match="不能从“草稿”直接切换到“结果公示”"):
        change_phase(session, actor=ADMIN, consultation_id=consultation.id, to=Phase.PUBLISHED)
    for to in (Phase.COLLECTING, Phase.REVIEWING):
        change_phase(session, actor=ADMIN, consultation_id=consultation.id, to=to)
    change_phase(session, actor=REVIEWER, consultation_id=consultation.id, to=Phase.PUBLISHED)
    assert consultation.published_at is not None


def test_phase_rules_for_residents(session, consultation):
    assert not can_submit_opinion(consultation) and not can_vote(consultation)
    consultation.phase = Phase.COLLECTING
    assert can_submit_opinion(consultation) and can_vote(consultation)
    consultation.phase = Phase.REVIEWING
    assert not can_submit_opinion(consultation) and not can_vote(consultation)
    consultation.votes_during_review = True
    assert can_vote(consultation)


def test_a_clerk_cannot_publish_and_a_reviewer_cannot_open(session, consultation):
    with pytest.raises(PermissionDenied):
        change_phase(session, actor=REVIEWER, consultation_id=consultation.id, to=Phase.COLLECTING)
    consultation.phase = Phase.REVIEWING
    with pytest.raises(PermissionDenied, match="发布结果"):
        change_phase(session, actor=CLERK, consultation_id=consultation.id, to=Phase.PUBLISHED)
