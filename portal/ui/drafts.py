"""One idempotency token per draft.

A form gets a token the first time its box is drawn and keeps it across reruns, so a double
click, a re-sent request or two copies sent at once carry the same token and the service stores
the submission once (it returns the first result for a repeated token). After a success the
draft ends: the next text typed in the box is a new submission with a new token.
"""

from __future__ import annotations

import secrets

import streamlit as st


def draft_token(box_key: str) -> str:
    """The token of the draft typed in the widget ``box_key`` (made once, kept across reruns)."""
    key = f"{box_key}.token"
    if key not in st.session_state:
        st.session_state[key] = secrets.token_urlsafe(16)
    return str(st.session_state[key])


def end_draft(box_key: str) -> None:
    """The draft in ``box_key`` was stored: its next content gets a new token."""
    st.session_state.pop(f"{box_key}.token", None)
