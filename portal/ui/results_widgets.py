"""Parts of the public results page: one theme with its answer, opinion lists, downloads."""

from __future__ import annotations

import streamlit as st

from portal.timefmt import format_date
from portal.ui import results_cache as cache
from portal.ui.widgets import DECISION_COLORS, md, plain


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


def _lines(*parts: str) -> str:
    """People's text (already escaped with ``md``) as Markdown lines, each kept on its own line."""
    return "  \n".join(p.replace("\n", "  \n") for p in parts if p)


def theme_card(t) -> None:  # type: ignore[no-untyped-def]
    """A theme as residents see it: its name, figures, the committee's answer and its progress.

    Few elements (each is a message to the browser; this card is most of the results page):
    what belongs together is one Markdown block, every piece of people's text escaped (``md``)."""
    with st.container(border=True):
        with st.container(key=f"results-theme-title-{t.id}"):  # styled as a heading, shown verbatim
            plain(f"{t.rank}. {t.label}")
        figures = f"意见 {t.size} 条 · 居民 {t.n_residents} 人 · 同意 {t.support} 票 · 不同意 {t.opposition} 票"
        st.caption(_lines(figures, md("关键词：" + "、".join(t.keywords[:8])) if t.keywords else ""))
        if t.summary:
            plain(t.summary)
        a = t.answer
        progress = ""
        if t.timeline:  # the latest step in the open, with its date; earlier steps folded
            latest = t.timeline[-1]
            progress = md(f"最新进展（{format_date(latest.on)}）：{latest.status}" + (f"。{latest.note}" if latest.note else ""))
        if a is None:
            st.badge("待回应", color="orange")
            st.markdown(_lines("居委会正在研究这个主题，回应后会在这里公布。", progress))
        else:
            st.badge(f"居委会决定：{a.decision}", color=DECISION_COLORS.get(a.decision_code, "gray"))
            due = f" · 完成时限：{format_date(a.due_date)}" if a.due_date else ""
            st.markdown(_lines(md(a.reasoning), md(f"责任方：{a.responsible_party}{due} · 当前状态：{t.status}"),
                               progress))
            if a.overdue:
                st.warning("已超过完成时限，尚未完成。")
        if len(t.timeline) > 1:
            with st.expander(f"更早的进展（{len(t.timeline) - 1} 条）"):
                st.markdown(_lines(*(md(f"{format_date(e.on)} · {e.status}" + (f"：{e.note}" if e.note else ""))
                                     for e in reversed(t.timeline[:-1]))))
        if t.representatives:
            st.markdown("\n\n".join(["**居民的代表性意见**", *(  # one paragraph per opinion
                _lines(f"“{md(op.text)}”", f":gray[{md(op.channel)} · {format_date(op.received_on)} · "
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
