"""How one opinion group stands apart, in the words the public results page uses."""

from __future__ import annotations

import streamlit as st

from portal.ui.widgets import plain


def group_stances(agreed: list[tuple[str, float]], opposed: list[tuple[str, float]]) -> None:
    """The statements a group agrees with (特别认同) or rejects (特别反对) significantly more than
    the other groups, each with the group's share voting that way. Only statistically
    significant statements reach the run summary (analysis.groups), so an empty list is said."""
    if not agreed and not opposed:
        st.caption("这一组没有与其他组明显不同的看法。")
    for text, share in agreed:
        plain(f"这一组特别认同：“{text}”")
        st.caption(f"本组 {share:.0%} 同意")
    for text, share in opposed:
        plain(f"这一组特别反对：“{text}”")
        st.caption(f"本组 {share:.0%} 不同意")
