import zlib
from datetime import timedelta

import streamlit as st

from portal.models import DECISION_LABELS, Decision, Phase, ThemeStatus
from portal.services import review
from portal.services.actors import has_permission
from portal.services.consultations import phases
from portal.timefmt import format_date, today_local
from portal.ui.actions import save, save_and_flash
from portal.ui.confirm import confirm_button
from portal.ui.resources import db_session
from portal.ui.widgets import (
    flash_and_rerun,
    md,
    plain,
    require_committee,
    review_consultation_picker,
    show_flash,
)

actor = require_committee("answer_themes")
st.title("回应与发布")
st.caption("对每个主题作出回应：结论、理由、责任单位和计划完成日期；之后发布办理进展。全部回应后发布结果。")

FLASH = "answers.flash"
show_flash(FLASH)

cid = review_consultation_picker("answers.consultation", phases=phases.phases_where(lambda r: r.update_status))
if cid is None:
    st.stop()


def done(message: str) -> None:
    flash_and_rerun(FLASH, message)


with db_session() as session:
    ov = review.theme_overview(session, actor=actor, consultation_id=cid)
    check = review.publish_check(session, actor=actor, consultation_id=cid)
phase = phases.current_phase(ov.consultation)
can_publish = phases.find_move(ov.consultation, Phase.PUBLISHED) is not None

if not ov.themes:
    st.info("这个议题还没有主题，请先在“主题研判”页面运行意见分析。")
    st.stop()

counted = [r for r in ov.themes if not r.theme.is_other] or ov.themes
answered = sum(1 for r in counted if r.answered)
st.progress(answered / len(counted), text=f"已回应 {answered} / {len(counted)} 个主题"
            + ("（不含“其他”）" if len(counted) < len(ov.themes) else ""))

theme_ids = [r.theme.id for r in ov.themes]
labels = {
    r.theme.id: f"{r.theme.label}（{r.theme.size} 条意见 · {ThemeStatus(r.theme.status).label}）"
    for r in ov.themes
}
wanted = st.session_state.get("answers.theme_id")
if wanted not in theme_ids:  # first the themes still waiting for an answer
    wanted = next((r.theme.id for r in ov.themes if not r.answered and not r.theme.is_other), theme_ids[0])
version = zlib.crc32(repr(list(labels.items())).encode())  # new labels, new widget (see themes page)
tid = st.selectbox("主题", theme_ids, index=theme_ids.index(wanted), format_func=labels.__getitem__,
                   key=f"answers.theme.{version}", placeholder="请选择")
st.session_state["answers.theme_id"] = tid
with db_session() as session:
    detail = review.theme_detail(session, actor=actor, theme_id=tid)
theme, response = detail.theme, detail.response

with st.container(border=True):
    st.markdown("**居民说了什么**")
    for text in ov.representatives.get(tid, [])[:3]:
        plain(f"“{text}”")
    st.caption(f"{theme.size} 条意见，{theme.n_distinct} 条不重复，{theme.n_residents} 位居民，{theme.support} 次支持")

if phases.TABLE[phase].answer:
    decisions = list(Decision)
    with st.form(f"answers.form.{tid}"):
        st.markdown("**修改回应**" if response else "**作出回应**")
        decision = st.radio("结论", decisions, format_func=lambda d: DECISION_LABELS[d], horizontal=True,
                            index=decisions.index(Decision(response.decision)) if response else 0,
                            key=f"answers.decision.{tid}")
        reasoning = st.text_area("理由（居民会看到）", value=response.reasoning if response else "", max_chars=3000,
                                 key=f"answers.reasoning.{tid}",
                                 placeholder="说明为什么这样决定、具体怎么做，例如：在3号楼东侧新建充电棚，安装20个充电口。")
        party = st.text_input("责任单位 / 责任人", value=response.responsible_party if response else "",
                              max_chars=100, key=f"answers.party.{tid}", placeholder="例如：居委会、物业公司")
        due = st.date_input("计划完成日期（采纳、部分采纳必填）",
                            value=response.due_date if response else today_local() + timedelta(days=60),
                            min_value=None if response else today_local(), key=f"answers.due.{tid}")
        no_due = st.checkbox("不设完成日期", value=bool(response and response.due_date is None),
                             key=f"answers.nodue.{tid}")
        if st.form_submit_button("保存回应", type="primary"):
            save_and_flash(FLASH, f"已保存对“{md(theme.label)}”的回应。", review.save_response, actor=actor,
                           theme_id=tid, decision=decision, reasoning=reasoning, responsible_party=party,
                           due_date=None if no_due else due)
elif response:
    st.markdown(f"**回应：{Decision(response.decision).label}**")
    plain(response.reasoning)
    plain(f"责任单位：{response.responsible_party} · 计划完成：{response.due_date or '未定'}")

st.subheader("办理进展", anchor=False)
if not detail.updates:
    st.caption("还没有进展记录。")
for update in detail.updates:
    st.markdown(f"**{format_date(update.created_at)}　{ThemeStatus(update.status).label}**")
    if update.note:
        plain(update.note)
if response and phases.TABLE[phase].update_status:
    with st.form(f"answers.update.{tid}"):
        statuses = list(review.TIMELINE_STATUSES)
        status = st.selectbox("新状态", statuses, format_func=lambda s: ThemeStatus(s).label,
                              key=f"answers.status.{tid}", placeholder="请选择")
        note = st.text_area("进展说明（居民会看到）", max_chars=2000, key=f"answers.note.{tid}",
                            placeholder="例如：施工队已进场，预计两周完成。")
        if st.form_submit_button("发布进展"):
            if save(review.add_status_update, actor=actor, theme_id=tid, status=status, note=note):
                st.session_state.pop(f"answers.note.{tid}", None)
                done(f"已发布“{theme.label}”的进展：{ThemeStatus(status).label}。")

st.divider()
st.subheader("发布结果", anchor=False)
if not can_publish:
    st.info(f"议题处于{phase.label}阶段。" + ("结果已公示。" if phases.TABLE[phase].results_public else ""))
elif not has_permission(actor, "publish_results"):
    st.caption("您的账号不能发布结果。")
else:
    if check.unanswered:
        st.warning(f"还有 {len(check.unanswered)} 个主题没有回应：" + md("、".join(t.label for t in check.unanswered))
                   + "。发布后居民会看到它们“待回应”。")
    if check.unreviewed:  # names and counts; unreviewed summaries are not published
        st.warning(check.unreviewed_note)
    if check.ready:
        st.success("所有主题都已回应，摘要都已审核，可以发布。")
    if confirm_button("发布结果", type="primary", key="answers.publish", plan=lambda: check.plan,
                      fingerprint=(len(check.unanswered), len(check.unreviewed)),
                      confirm_label="确认发布" if check.ready else "确认仍然发布"):
        if save(review.publish_results, actor=actor, consultation_id=cid,
                confirm_unanswered=bool(check.unanswered), confirm_unreviewed=bool(check.unreviewed)):
            done(f"“{ov.consultation.title}”的结果已公示，居民现在可以看到每个主题的回应。")
