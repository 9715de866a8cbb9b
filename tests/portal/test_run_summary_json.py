"""An analysis summary must be valid JSON for PostgreSQL (which refuses NaN): participants the
vote projection could not place (NaN coordinates, group -1) are left out of the points."""

from __future__ import annotations

import json

import numpy as np

from portal.models import Opinion, Vote, VoteValue
from portal.services.review.runs import _opinion_groups


class _Groups:
    def __init__(self, random_state=0):
        pass

    def fit(self, matrix):
        self.labels_ = np.array([0, 1, -1])
        self.coords_ = np.array([[0.5, 1.0], [-1.0, 0.2], [np.nan, np.nan]])
        self.participants_ = [0, 1, 2]
        self.repness_ = [[(0, 0.9, 2.0)], [(1, 0.8, 1.5)]]
        self.consensus_ = [0]
        self.divisive_ = [1]
        return self


def test_unplaced_participants_leave_no_nan_in_the_summary():
    opinions = [Opinion(id=i, consultation_id=1, text_original="x", text_public="x") for i in (1, 2)]
    votes = [Vote(opinion_id=1 + (r % 2), resident_id=r, value=VoteValue.AGREE) for r in (10, 11, 12)]
    summary = _opinion_groups(_Groups, opinions, votes, 0)
    json.dumps(summary, allow_nan=False)  # raises on NaN, as PostgreSQL does
    assert [p["resident_id"] for p in summary["points"]] == [10, 11]
    assert summary["points"][0]["group"] == 0


def _courtyard(n_residents: int) -> tuple[list[Opinion], list[Vote]]:
    """Car owners and non-owners voting on a courtyard parking plan (owners agree with 0-2,
    non-owners with 3-5, everybody with 6-7), with a few contrary votes."""
    texts = ["院内划线停车，按户分配车位", "外来车辆收临时停车费", "拆除花坛扩建停车位",
             "保留花坛和儿童活动场地", "院内禁止停放过夜车辆", "车位收益用于绿化维护",
             "增加楼道和院内照明", "修补破损的院内路面"]
    opinions = [Opinion(id=i + 1, consultation_id=1, text_original=t, text_public=t) for i, t in enumerate(texts)]
    rng = np.random.default_rng(0)
    votes = []
    for r in range(n_residents):
        owner = r % 2 == 0
        for j in range(len(texts)):
            agree = j >= 6 or (j < 3) == owner
            if rng.random() < 0.1:
                agree = not agree
            votes.append(Vote(opinion_id=j + 1, resident_id=100 + r,
                              value=VoteValue.AGREE if agree else VoteValue.DISAGREE))
    return opinions, votes


def test_real_groups_store_direction_note_and_smoother_state():
    from analysis import OpinionGroups

    opinions, votes = _courtyard(60)
    summary = _opinion_groups(OpinionGroups, opinions, votes, 0)
    json.dumps(summary, allow_nan=False)
    assert len(summary["groups"]) == 2 and summary["group_note"]
    reps = [r for g in summary["groups"] for r in g["representative"]]
    assert reps and all(r["direction"] in ("agree", "disagree") and r["confidence"] >= 0.9 for r in reps)
    assert {7, 8} <= set(summary["consensus"])  # lights and paving: everybody agrees
    assert summary["k_state"] == {"last_k": 2, "streak": 1, "k": 2}
    again = _opinion_groups(OpinionGroups, opinions, votes, 0, k_state=summary["k_state"])
    assert again["k_state"] == {"last_k": 2, "streak": 2, "k": 2}


def test_too_few_voters_store_a_note_instead_of_groups():
    from analysis import OpinionGroups

    opinions, votes = _courtyard(6)
    summary = _opinion_groups(OpinionGroups, opinions, votes, 0)
    assert summary["groups"] == [] and summary["group_note"] == "参与表态的人还不够，暂不分组。"
    assert _opinion_groups(OpinionGroups, opinions, [], 0)["group_note"] == summary["group_note"]
