"""The committee's phase buttons: the moves the phase table allows, each with a confirmation."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from portal.models import PHASE_ORDER, Consultation
from portal.services.actors import CommitteeActor
from portal.services.consultations import change_phase, phases
from portal.timefmt import today_local
from portal.ui.actions import save
from portal.ui.widgets import flash_and_rerun

PENDING = "cons.pending_phase"


def phase_controls(actor: CommitteeActor, c: Consultation, *, flash_key: str) -> None:
    """Show where ``c`` is in the phase order and offer the moves staff may make from there."""
    assert c.id is not None
    current = phases.current_phase(c)
    st.subheader("阶段", anchor=False)
    st.write(" → ".join(f"**{p.label}**" if p == current else p.label for p in PHASE_ORDER))
    if phases.deadline_passed(c):
        st.caption("征集已到截止时间，已自动进入研判。")
    moves = phases.moves(c, phase_page=True)
    if any(not m.on_phase_page for m in phases.moves(c)):
        st.caption("研判完成后，请在结果发布页面发布结果。")
    pending = st.session_state.get(PENDING)
    move = phases.find_move(c, pending[1]) if pending and pending[0] == c.id else None
    if move is None:
        cols = st.columns(max(1, len(moves)))
        for col, m in zip(cols, moves, strict=False):
            if col.button(m.verb, key=f"cons.move.{m.to.value}"):
                st.session_state[PENDING] = (c.id, m.to.value)
                st.rerun()
        return
    with st.container(border=True):
        st.warning(f"确认把“{c.title}”从“{current.label}”切换到“{move.to.label}”？{move.warning}")
        closes_on = None
        if phases.reopening(c, move.to) and phases.deadline_passed(c):
            today = today_local()
            closes_on = st.date_input("新的截止日期", value=today + timedelta(days=7) if today else None,
                                      min_value=today, key="cons.reopen_closes", format="YYYY-MM-DD")
        ok, cancel = st.columns(2)
        if ok.button("确认切换", type="primary", key="cons.confirm"):
            if save(change_phase, actor=actor, consultation_id=c.id, to=move.to, closes_on=closes_on or None):
                st.session_state.pop(PENDING, None)
                flash_and_rerun(flash_key, f"“{c.title}”已进入{move.to.label}阶段。")
        if cancel.button("取消", key="cons.cancel"):
            st.session_state.pop(PENDING, None)
            st.rerun()
