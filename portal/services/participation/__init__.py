"""What residents do: give opinions, vote, comment, report, and follow what became of them.

Every rule is checked in these modules (phase, ownership, visibility, input), so it holds whether
the request came from a page, a script or a test. The package re-exports the public names of
its modules: ``opinions`` (giving), ``votes``, ``comments`` (and reports), ``reading``
(public lists and threads) and ``mine`` (我的参与); ``lookups`` holds the queries they share.
"""

from portal.services.participation.comments import (
    COMMENT_MAX_CHARS,
    COMMENT_MIN_CHARS,
    REPORT_MAX_CHARS,
    REPORT_MIN_CHARS,
    REPORT_REASONS,
    ReportResult,
    add_comment,
    report,
)
from portal.services.participation.lookups import (
    author_label,
    open_consultations,
)
from portal.services.participation.mine import (
    AnswerView,
    MyConsultation,
    MyOpinion,
    MyParticipation,
    MyPhoto,
    MyReport,
    MyVote,
    TimelineEntry,
    my_participation,
)
from portal.services.participation.opinions import (
    SIMILAR_MIN_SCORE,
    SIMILAR_SHOWN,
    OpinionPreview,
    SimilarOpinion,
    SubmitResult,
    clean_text,
    pii_labels,
    preview_opinion,
    similar_opinions,
    submit_opinion,
    validate_text,
    warm_up,
)
from portal.services.participation.reading import (
    SORTS,
    CommentView,
    OpinionList,
    OpinionThread,
    OpinionView,
    list_opinions,
    opinion_thread,
)
from portal.services.participation.votes import (
    VoteCard,
    VoteResult,
    cast_vote,
    next_opinion_to_vote,
    support_opinion,
)

__all__ = [
    "AnswerView",
    "COMMENT_MAX_CHARS",
    "COMMENT_MIN_CHARS",
    "CommentView",
    "MyConsultation",
    "MyOpinion",
    "MyParticipation",
    "MyPhoto",
    "MyReport",
    "MyVote",
    "OpinionList",
    "OpinionPreview",
    "OpinionThread",
    "OpinionView",
    "REPORT_MAX_CHARS",
    "REPORT_MIN_CHARS",
    "REPORT_REASONS",
    "ReportResult",
    "SIMILAR_MIN_SCORE",
    "SIMILAR_SHOWN",
    "SORTS",
    "SimilarOpinion",
    "SubmitResult",
    "TimelineEntry",
    "VoteCard",
    "VoteResult",
    "add_comment",
    "author_label",
    "cast_vote",
    "clean_text",
    "list_opinions",
    "my_participation",
    "next_opinion_to_vote",
    "open_consultations",
    "opinion_thread",
    "pii_labels",
    "preview_opinion",
    "report",
    "similar_opinions",
    "submit_opinion",
    "support_opinion",
    "validate_text",
    "warm_up",
]
