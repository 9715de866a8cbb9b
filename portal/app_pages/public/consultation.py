import streamlit as st

from portal.services.consultations import (
    can_submit_opinion,
    can_vote,
    deadline_text,
    phase_label,
    what_residents_can_do,
)
from portal.services.participation import (
    SORTS,
    list_opinions,
    opinion_thread,
)
from portal.timefmt import format_date
from portal.ui import discussion, public_cache
from portal.ui.actions import read, show_error
from portal.ui.attachments import approved_photos, documents_list
from portal.ui.resources import db_session, warm_up_similarity
from portal.ui.session import current_actor, current_resident
from portal.ui.widgets import consultation_card, md, md_lines, opinion_counts, plain, results_link

PAGE_SIZE = 10  # a phone screen or two; 显示更多意见 adds 10 more (fewer elements per visit, decision 0026)
resident = current_resident()
if resident is not None:
    warm_up_similarity()  # so that 提意见's first preview is quick

raw_id = st.query_params.get("id", "")
if not raw_id.isdigit():  # opened from the menu: the list to choose from, not a dead end
    st.title("议题详情")
    cards = public_cache.home(public_cache.marker()).cards
    if not cards:
        st.info("目前还没有公开的议题。")
    else:
        st.write("请选择要查看的议题：")
    for card in cards:
        consultation_card(card)
    st.stop()

# What every visitor sees alike is cached per replica, keyed on the database's change marker;
# a signed-in resident's own marks are read fresh below.
snapshot = public_cache.marker()
found = read(lambda _session: public_cache.consultation(snapshot, int(raw_id)))
if not found:
    st.stop()
c, (n_opinions, n_people, n_votes) = found.value

raw_opinion = st.query_params.get("opinion", "")
flash = st.session_state.pop(discussion.FLASH, None)
discussion.clear_posted_boxes()

# ---------------------------------------------------------------- one opinion and its comments
if raw_opinion.isdigit():
    if st.button("← 返回全部意见", key="consultation.back"):
        del st.query_params["opinion"]
        st.rerun()
    opened = read(opinion_thread, opinion_id=int(raw_opinion), viewer=resident)
    if not opened:
        st.stop()
    thread = opened.value
    if thread.consultation.id != c.id:
        st.error("找不到这条意见。")
        st.stop()
    if flash:
        st.success(md(flash))
    view = thread.opinion
    st.caption(md(f"{c.title} · {view.author}的意见 · {format_date(view.received_at)}"))
    with st.container(border=True):
        plain(view.text)
        approved_photos(c.id, snapshot, opinion_id=view.id)
        st.caption(opinion_counts(view))

    show_error(discussion.ERROR)

    if resident is not None and thread.can_vote and not view.is_mine:
        discussion.vote_buttons(resident, view)
    elif view.is_mine:
        st.caption("这是您提出的意见。")
    discussion.comments(resident, thread, can_comment=resident is not None and thread.can_comment)
    if resident is None and current_actor() is None and thread.can_comment:  # committee: no sign-in link
        st.page_link("app_pages/resident/sign_in.py", label="用参与码登录后可以投票和留言 →",
                     query_params={"next": str(c.id)})
    if resident is not None:
        discussion.report_box(resident, thread)
    st.stop()

# ---------------------------------------------------------------- the consultation
st.title(md(c.title))
st.caption(f"{phase_label(c)} · 征集时间 {deadline_text(c)}")
# One line, not three metrics: columns stack on a phone and would fill the first screen.
st.markdown(f"**{n_opinions}** 条意见 · **{n_people}** 人参与 · **{n_votes}** 次投票")
st.subheader("议题", anchor=False)
plain(c.question)
if c.background:
    with st.expander("背景介绍", expanded=False):
        plain(c.background)
st.info(md(what_residents_can_do(c)))
results_link(c)
documents_list(c.id, current_actor(), snapshot=snapshot)

if resident is not None:
    if can_submit_opinion(c):
        st.page_link("app_pages/resident/give.py", label="我要提意见", icon=":material/edit:", query_params={"id": str(c.id)})
    if can_vote(c):
        st.page_link("app_pages/resident/vote.py", label="给大家的意见表态", icon=":material/how_to_vote:", query_params={"id": str(c.id)})
elif current_actor() is None and (can_submit_opinion(c) or can_vote(c)):
    st.page_link("app_pages/resident/sign_in.py", label="用参与码登录后参与", icon=":material/key:",
                 query_params={"next": str(c.id)})

st.subheader("大家的意见", anchor=False)
sort = st.radio("排序", list(SORTS), format_func=SORTS.get, horizontal=True, key="consultation.sort",
                label_visibility="collapsed")
limit_key = f"consultation.limit.{c.id}"
limit = st.session_state.get(limit_key, PAGE_SIZE)
if resident is None:
    page = public_cache.anonymous_opinions(snapshot, c.id, sort=sort, limit=limit)
else:
    with db_session() as session:
        page = list_opinions(session, consultation_id=c.id, viewer=resident, sort=sort, limit=limit)
if not page.items:
    st.caption("还没有公开的意见。")
approved_photos(c.id, snapshot)
for view in page.items:
    with st.container(border=True):
        meta = f"{view.author} · {format_date(view.received_at)}"
        if view.is_mine:
            meta += " · 我的意见"
        elif view.my_vote:
            meta += f" · 我已表态：{view.my_vote.label}"
        # who, when and the counts in small grey above the text, as one element (each element
        # is a message to the browser; this list is most of the page)
        st.markdown(md_lines(f":gray[:small[{md(meta)} · {opinion_counts(view)}]]", md(view.text)))
        if st.button("查看留言、参与讨论", key=f"consultation.open.{view.id}", use_container_width=True):
            st.query_params["opinion"] = str(view.id)
            st.rerun()
if page.total > len(page.items):
    st.caption(f"已显示 {len(page.items)} / {page.total} 条")
    if st.button("显示更多意见", key="consultation.more", use_container_width=True):
        st.session_state[limit_key] = limit + PAGE_SIZE
        st.rerun()
