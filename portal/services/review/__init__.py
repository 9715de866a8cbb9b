"""Theme review and answers: what the committee does between the analysis and the public results.

``runs`` fits the analysis and stores its results; ``overview`` is what the 主题研判 page reads;
``curation`` holds the committee's edits to themes; ``answers`` the responses and publishing.
"""

from portal.services.review.answers import (
    TIMELINE_STATUSES,
    PublishCheck,
    add_status_update,
    publish_check,
    publish_results,
    save_response,
)
from portal.services.review.confirm import (
    ConfirmItem,
    answer_opinion,
    confirm_queue,
    guided_themes,
    name_theme,
    set_seed_words,
)
from portal.services.review.curation import (
    LABEL_MAX,
    LABEL_MIN,
    merge_themes,
    move_opinions,
    rename_theme,
    set_priority,
    split_theme,
)
from portal.services.review.overview import (
    DuplicateGroup,
    OpinionGroupView,
    OpinionLine,
    ReviewOverview,
    ThemeDetail,
    ThemeRow,
    theme_cloud_png,
    theme_detail,
    theme_overview,
)
from portal.services.review.summaries import (
    SUMMARY_MAX,
    SummaryState,
    public_summary,
    save_summary,
    summary_state,
)

__all__ = [
    "ConfirmItem",
    "answer_opinion",
    "confirm_queue",
    "guided_themes",
    "name_theme",
    "set_seed_words",
    "LABEL_MAX",
    "LABEL_MIN",
    "DuplicateGroup",
    "OpinionGroupView",
    "OpinionLine",
    "PublishCheck",
    "ReviewOverview",
    "SUMMARY_MAX",
    "SummaryState",
    "TIMELINE_STATUSES",
    "ThemeDetail",
    "ThemeRow",
    "add_status_update",
    "merge_themes",
    "move_opinions",
    "publish_check",
    "publish_results",
    "public_summary",
    "rename_theme",
    "save_response",
    "save_summary",
    "set_priority",
    "split_theme",
    "summary_state",
    "theme_cloud_png",
    "theme_detail",
    "theme_overview",
]
