"""Confirm before anything that cannot be undone: the button says what will happen, with counts.

One click on such a button changes nothing. It opens a box that states, in one sentence built by
a dry-run service (``plan_code_issue``, ``PublishCheck.plan``, ``plan_flood_hide`` …), what the
action will do, e.g. "将作废 600 个有效参与码并重新发放", with 确认 and 取消. Only 确认 returns
true, and only while the inputs the sentence was computed from (``fingerprint``) are unchanged:
changing the selection after the first click closes the box, so nobody confirms counts that
no longer hold.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import streamlit as st

from portal.ui.widgets import md


def _pending_key(key: str) -> str:
    return f"{key}.pending"


def cancel_confirm(key: str) -> None:
    """Close the confirmation box of ``key`` (after the action ran, or the page moved on)."""
    st.session_state.pop(_pending_key(key), None)


def confirm_button(
    label: str, *, key: str, plan: Callable[[], str], fingerprint: Hashable = None,
    confirm_label: str = "确认", type: str = "secondary", disabled: bool = False, help: str | None = None,
    container=None, ask: bool = True,
) -> bool:
    """A button that needs a second click on 确认 before it acts.

    ``plan`` returns the Chinese sentence saying what will happen (called only while the box is
    open, so a dry run costs nothing otherwise). Returns true in the run where 确认 was clicked;
    the box is then closed. With ``ask=False`` (nothing to lose this time, e.g. every chosen
    resident is still without a code) it is a plain button.
    """
    where = container if container is not None else st
    if not ask:
        cancel_confirm(key)
        return bool(where.button(label, key=key, type=type, disabled=disabled, help=help))  # type: ignore[arg-type]
    pending = _pending_key(key)
    state = ("open", fingerprint)
    if where.button(label, key=key, type=type, disabled=disabled, help=help):  # type: ignore[arg-type]
        st.session_state[pending] = state
    if st.session_state.get(pending) != state or disabled:
        st.session_state.pop(pending, None)  # inputs changed since the first click: ask again
        return False
    with st.container(border=True, key=f"{key}_confirm_box"):
        st.warning(md(plan()), icon=":material/warning:")
        ok, cancel = st.columns(2)
        if ok.button(confirm_label, type="primary", key=f"{key}.confirm"):
            st.session_state.pop(pending, None)
            return True
        if cancel.button("取消", key=f"{key}.cancel"):
            st.session_state.pop(pending, None)
            st.rerun()
    return False
