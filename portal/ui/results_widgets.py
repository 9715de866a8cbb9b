"""Parts of the public results page: one theme with its answer, opinion lists, downloads."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from portal.services.decisions import poll_results
from portal.timefmt import format_date
from portal.ui import results_cache as cache
from portal.ui.actions import read
from portal.ui.attachments import documents_list
from portal.ui.decisions import poll_results_panel, tally_panel
from portal.ui.widgets import DECISION_COLORS, md, md_lines, plain


def opinion_list(ops: list, *, share: bool, first: int = 5) -> None:
    """The first few opinions, the rest behind an expander (long lists swamp a phone screen)."""
    def show(op) -> None:  # type: ignore[no-untyped-def]
        plain(f"“{op.text}”")
        st.caption(f"同意 {op.agree} · 不同意 {op.disagree}" + (f" · 同意率 {op.agree_share:.0%}" if share else ""))

    for op in ops[:first]:
        show(op)
    if len(ops) > first:
        with st.expander(f"再看 {len(ops) - first} 条"):
            for op in ops[first:]:
                show(op)


def theme_card(t) -> None:  # type: ignore[no-untyped-def]
    """A theme as residents see it: its name, figures, the committee's answer and its progress.

    Few elements (each is a message to the browser; this card is most of the results page):
    what belongs together is one Markdown block, every piece of people's text escaped (``md``)."""
    with st.container(border=True):
        with st.container(key=f"results-theme-title-{t.id}"):  # styled as a heading, shown verbatim
            plain(f"{t.rank}. {t.label}")
        figures = f"意见 {t.size} 条 · 居民 {t.n_residents} 人 · 同意 {t.support} 票 · 不同意 {t.opposition} 票"
        st.caption(md_lines(figures, md("关键词：" + "、".join(t.keywords[:8])) if t.keywords else ""))
        if t.summary:
            plain(t.summary)
        a = t.answer
        progress = ""
        if t.timeline:  # the latest step in the open, with its date; earlier steps folded
            latest = t.timeline[-1]
            progress = md(f"最新进展（{format_date(latest.on)}）：{latest.status}" + (f"。{latest.note}" if latest.note else ""))
        if a is None:
            st.badge("待回应", color="orange")
            st.markdown(md_lines("居委会正在研究这个主题，回应后会在这里公布。", progress))
        else:
            st.badge(f"居委会决定：{a.decision}", color=DECISION_COLORS.get(a.decision_code, "gray"))
            due = f" · 完成时限：{format_date(a.due_date)}" if a.due_date else ""
            st.markdown(md_lines(md(a.reasoning), md(f"责任方：{a.responsible_party}{due} · 当前状态：{t.status}"),
                               progress))
            if a.overdue:
                st.warning("已超过完成时限，尚未完成。")
        if len(t.timeline) > 1:
            with st.expander(f"更早的进展（{len(t.timeline) - 1} 条）"):
                st.markdown(md_lines(*(md(f"{format_date(e.on)} · {e.status}" + (f"：{e.note}" if e.note else ""))
                                     for e in reversed(t.timeline[:-1]))))
        if t.representatives:
            st.markdown("\n\n".join(["**居民的代表性意见**", *(  # one paragraph per opinion
                md_lines(f"“{md(op.text)}”", f":gray[{md(op.channel)} · {format_date(op.received_on)} · "
                                          f"同意 {op.agree} · 不同意 {op.disagree}]")
                for op in t.representatives)]))


DOWNLOADS = [  # (label, kind, file name after the stem, MIME type, icon)
    ("下载公示单（PDF，A4）", "pdf", "-notice.pdf", "application/pdf", ":material/print:"),
    ("下载意见数据（CSV）", "csv", "-opinions.csv", "text/csv", ":material/table_view:"),
    ("下载全部数据（JSON）", "json", ".json", "application/json", ":material/data_object:"),
    ("下载全部表格（ZIP，含数据说明）", "zip", "-tables.zip", "application/zip", ":material/folder_zip:"),
]


def downloads(cid: int, version) -> None:  # type: ignore[no-untyped-def]
    """The printable notice and the open data, made only when asked for."""
    stem = f"consultation-{cid}"
    for label, kind, suffix, mime, icon in DOWNLOADS:
        st.download_button(label, data=lambda kind=kind: cache.downloads(cid, version, kind),
                           file_name=f"{stem}{suffix}", mime=mime, on_click="ignore",
                           key=f"results.dl_{kind}", icon=icon)


def people_tab(r, chart: Callable[[str], None]) -> None:  # type: ignore[no-untyped-def]
    """参与情况: participation against the roster, by building, channel, age band and day."""
    roster = f"，居民名册共 {r.roster_size} 人" if r.roster_size else ""
    st.write(f"共有 {r.n_participants} 位居民参与（提出意见或投票）{roster}。")
    chart("areas")
    chart("channels")
    if len(r.age_bands):
        st.markdown("**各年龄段参与情况**")
        st.dataframe(r.age_bands, hide_index=True, width="stretch",
                     column_config={"参与率": st.column_config.ProgressColumn("参与率", format="percent",
                                                                              min_value=0, max_value=1)})
    chart("timeline")


def groups_tab(r, chart: Callable[[str], None]) -> None:  # type: ignore[no-untyped-def]
    """共识与分歧: consensus and divisive opinions, and what sets each opinion group apart."""
    st.write("根据居民的投票，把看法相近的居民分成几组：共识意见是各组都多数同意的，分歧意见是各组看法相反的。")
    st.subheader("共识意见", anchor=False)
    if not r.consensus:
        st.caption("暂无各组都同意的意见。")
    opinion_list(r.consensus, share=True)
    st.subheader("分歧最大的意见", anchor=False)
    if not r.divisive:
        st.caption("暂无明显分歧。")
    opinion_list(r.divisive, share=False)
    if r.group_note:
        st.info(md(r.group_note), icon=":material/groups:")
    chart("groups")
    for g in r.groups:
        if g.representative or g.opposed:  # listed only when statistically significant
            with st.expander(md(f"{g.name}（{g.size} 人）与其他组不同的看法")):
                for op, share in g.representative:
                    plain(f"这一组特别认同：“{op.text}”")
                    st.caption(f"本组 {share:.0%} 同意")
                for op, share in g.opposed:
                    plain(f"这一组特别反对：“{op.text}”")
                    st.caption(f"本组 {share:.0%} 不同意")


def data_tab(cid: int, version: str, snapshot: str) -> None:
    """下载与公示: the printable notice, open data and the consultation's documents."""
    st.write("公示单可打印张贴在社区公示栏；开放数据只包含公开的意见，个人信息已脱敏。")
    downloads(cid, version)
    documents_list(cid, None, heading="议题资料（方案、纪要、测算）", snapshot=snapshot)
    with st.expander("数据说明"):
        st.dataframe(cache.data_dictionary(), hide_index=True, width="stretch")


def decide_tab(polls: list, owner_votes: list) -> None:  # type: ignore[type-arg]
    """问卷与表决: closed polls' results and published owners' votes."""
    for p in polls:
        st.subheader(md(f"问卷：{p.title}"), anchor=False)
        shown = read(poll_results, poll_id=p.poll_id)
        if shown:
            poll_results_panel(shown.value, key=f"results.poll.{p.poll_id}")
    for v in owner_votes:
        st.subheader(md(f"业主表决：{v.title}（{v.scope}）"), anchor=False)
        tally_panel(v)
