"""Consultations: the phase table, reading, editing and phase changes, the staff dashboard.

``phases`` is the single home of what each phase allows; every page and service asks it.
"""

from portal.services.consultations.catalogue import (
    ConsultationCard,
    community_name,
    deadline_text,
    get_consultation,
    list_consultations,
    participation_counts,
)
from portal.services.consultations.editing import (
    ConsultationDraft,
    change_phase,
    closes_at_for,
    consultation_area_ids,
    create_consultation,
    draft_of,
    opens_at_for,
    update_consultation,
)
from portal.services.consultations.phases import (
    EDITABLE_PHASES,
    NEXT_PHASE,
    PUBLIC_PHASES,
    RESULT_PHASES,
    can_comment,
    can_submit_opinion,
    can_vote,
    ensure_can_submit,
    ensure_can_vote,
    phase_change_warning,
    results_public,
    what_residents_can_do,
)

__all__ = [
    "ConsultationCard",
    "ConsultationDraft",
    "EDITABLE_PHASES",
    "NEXT_PHASE",
    "PUBLIC_PHASES",
    "RESULT_PHASES",
    "can_comment",
    "can_submit_opinion",
    "can_vote",
    "change_phase",
    "closes_at_for",
    "community_name",
    "consultation_area_ids",
    "create_consultation",
    "deadline_text",
    "draft_of",
    "ensure_can_submit",
    "ensure_can_vote",
    "get_consultation",
    "list_consultations",
    "opens_at_for",
    "participation_counts",
    "phase_change_warning",
    "results_public",
    "update_consultation",
    "what_residents_can_do",
]
