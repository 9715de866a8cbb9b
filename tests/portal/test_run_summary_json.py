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
