import streamlit as st

from portal.models import VoteValue
from portal.services.participation import cast_vote, next_opinion_to_vote, open_consultations
from portal.ui.actions import read, save, show_error
from portal.ui.resources import db_session
from portal.ui.session import current_resident
from portal.ui.widgets import md, plain

LAST = "vote.last"
SHOWN = "vote.shown"  # (consultation id, opinion id) of the card on screen
BUTTONS = [(VoteValue.AGREE, ":material/thumb_up:"), (VoteValue.DISAGREE, ":material/thumb_down:"),
           (VoteValue.PASS, ":material/skip_next:")]

resident = current_resident()
if resident is None:
    st.warning("请先用参与码登录。")
    st.stop()

st.title("表态投票")
st.write("一次看一条邻居的意见，选“同意”“不同意”，拿不准就“跳过”。投过的票以后还可以改。")

with db_session() as session:
    open_now = open_consultations(session, actor=resident, purpose="vote")
if not open_now:
    st.info("目前没有可以投票的议题。")
    st.stop()

ids = [c.id for c in open_now]
wanted = st.query_params.get("id", "")
start = ids.index(int(wanted)) if wanted.isdigit() and int(wanted) in ids else 0
chosen = st.selectbox("议题", ids, index=start, key="vote.consultation",
                      format_func=lambda i: next(c.title for c in open_now if c.id == i), placeholder="请选择")


def vote(opinion_id: int, value: VoteValue, text: str) -> None:
    # Called from the script itself, not from an on_click callback: after a reconnect to
    # another replica the new session knows no callbacks yet, but a pressed button still
    # returns True, so no click is lost (decision 0026). The opinion id is in each button's
    # key, so a press can only ever count for the opinion it was shown with.
    if save(cast_vote, error_key="vote.error", actor=resident, opinion_id=opinion_id, value=value):
        st.session_state[LAST] = (chosen, opinion_id, value, text)
    st.rerun()


show_error("vote.error")

last = st.session_state.get(LAST)
if last and last[0] == chosen:
    _, last_id, last_value, last_text = last
    with st.container(border=True):
        st.caption(f"刚才这条您选了“{VoteValue(last_value).label}”：")
        plain(last_text if len(last_text) <= 60 else last_text[:60] + "…")
        others = [(v, icon) for v, icon in BUTTONS if v != last_value]
        cols = st.columns(len(others))
        for col, (value, _icon) in zip(cols, others, strict=True):
            if col.button(f"改成“{value.label}”", key=f"vote.change.{value}.{last_id}", use_container_width=True):
                vote(last_id, value, last_text)

shown = st.session_state.get(SHOWN)
found = read(next_opinion_to_vote, actor=resident, consultation_id=chosen,
             keep=shown[1] if shown and shown[0] == chosen else None)
if not found:
    st.stop()
card = found.value

if card is None:
    st.success("这个议题的意见您都表过态了，谢谢！有新意见时再来看看。")
    st.page_link("app_pages/resident/my.py", label="查看我的参与 →")
    st.stop()

done = card.voted
total = card.voted + card.remaining
st.session_state[SHOWN] = (chosen, card.opinion_id)
st.progress(done / total if total else 1.0, text=f"已表态 {done} 条，还有 {card.remaining} 条")
with st.container(border=True):
    st.caption(md(f"{card.author}的意见 · 已有 {card.n_votes} 人表态"))
    plain(card.text)
cols = st.columns(3)
for col, (value, icon) in zip(cols, BUTTONS, strict=True):
    if col.button(value.label, icon=icon, key=f"vote.{value}.{card.opinion_id}",
                  type="primary" if value == VoteValue.AGREE else "secondary", use_container_width=True):
        vote(card.opinion_id, value, card.text)
st.page_link("app_pages/public/consultation.py", label="看看这条意见下的留言 →",
             query_params={"id": str(chosen), "opinion": str(card.opinion_id)})
