"""Deciding together: polls (问卷) inside a consultation and owners' votes (业主表决) with the
thresholds of 《民法典》第二百七十八条 (docs/owners-vote.md, decision 0022)."""

from portal.services.decisions.closing import ClosingSoon, closing_within, still_to_decide
from portal.services.decisions.owners import (
    BallotResult,
    HouseholdRow,
    MyOwnerVote,
    OwnersVoteCard,
    TallyCheck,
    area_text,
    ballot_sheet,
    cast_owner_ballot,
    close_owners_vote,
    create_owners_vote,
    enter_paper_owner_ballot,
    get_owners_vote_card,
    household_label,
    list_households,
    my_owners_votes,
    owners_votes_of,
    parse_area,
    publish_owners_vote,
    recompute_tally,
    register_proxy,
    set_owner_household,
    tally_owners_vote,
    vote_is_open,
)
from portal.services.decisions.polls import (
    OTHER_LABEL,
    AnswerResult,
    PaperAnswerRow,
    PollCard,
    QuestionDraft,
    answer_poll,
    answers_as_labels,
    close_poll,
    correct_paper_poll_answer,
    create_poll,
    enter_paper_poll_answer,
    my_poll_answer,
    open_polls_for,
    paper_answers,
    poll_is_open,
    polls_of,
    questions_of,
)
from portal.services.decisions.results import BREAKDOWNS, PollResults, poll_results
from portal.services.decisions.thresholds import (
    Tally,
    fmt_m2,
    needs_supermajority,
    percent,
    rule_text,
)

__all__ = [
    "BREAKDOWNS", "OTHER_LABEL", "AnswerResult", "BallotResult", "ClosingSoon", "HouseholdRow",
    "MyOwnerVote", "OwnersVoteCard", "PaperAnswerRow", "PollCard", "PollResults", "QuestionDraft",
    "Tally", "TallyCheck", "answer_poll", "answers_as_labels", "area_text", "ballot_sheet",
    "cast_owner_ballot", "close_owners_vote", "close_poll", "closing_within",
    "correct_paper_poll_answer", "create_owners_vote", "create_poll", "enter_paper_owner_ballot",
    "enter_paper_poll_answer", "fmt_m2", "get_owners_vote_card", "household_label",
    "list_households", "my_owners_votes", "my_poll_answer", "needs_supermajority",
    "open_polls_for", "owners_votes_of", "paper_answers", "parse_area", "percent", "poll_is_open",
    "poll_results", "polls_of", "publish_owners_vote", "questions_of", "recompute_tally",
    "register_proxy", "rule_text", "set_owner_household", "still_to_decide", "tally_owners_vote",
    "vote_is_open",
]
