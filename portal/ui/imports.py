"""Shared widgets for spreadsheet imports: the check before anything is stored."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from portal.ui.widgets import md


def roster_preview(preview, *, accept_key: str) -> bool:  # type: ignore[no-untyped-def]
    """Show a checked roster file (its rows, errors and likely duplicates); returns whether it may
    be imported: no errors, and any likely duplicates confirmed with the checkbox ``accept_key``."""
    info = f"共 {len(preview.rows) + len(preview.errors)} 行数据"
    if preview.encoding:
        info += f"，文件编码 {preview.encoding}"
    st.caption(md(info + "。"))
    for note in preview.notes:
        st.caption(md(note))
    if preview.errors:
        st.error(f"有 {len(preview.errors)} 行有误，请在原文件中改正后重新上传（未导入任何记录）：")
        st.dataframe(pd.DataFrame([{"行号": p.number, "问题": p.message} for p in preview.errors]),
                     hide_index=True, width="stretch")
        return False
    if preview.new_buildings:
        st.info(md("将新建楼栋：" + "、".join(preview.new_buildings)))
    if preview.duplicates:
        st.warning(f"有 {len(preview.duplicates)} 行疑似重复：")
        st.dataframe(pd.DataFrame([{"行号": p.number, "说明": p.message} for p in preview.duplicates]),
                     hide_index=True, width="stretch")
    owners = any(r.area_m2 is not None for r in preview.rows)
    st.dataframe(pd.DataFrame([{"行号": r.number, "楼栋": r.building, "单元": r.unit,
                                "年龄段": r.age_band, "户号": r.household_ref,
                                **({"业主面积（m²）": "" if r.area_m2 is None else f"{r.area_m2}"} if owners else {})}
                               for r in preview.rows[:200]]),
                 hide_index=True, width="stretch", height=240 if len(preview.rows) > 6 else "auto")
    if preview.duplicates:
        return st.checkbox("我已核对，这些是不同的居民，一并导入", key=accept_key)
    return True


def slips_download(key: str, *, prefix: str) -> None:
    """The slips of codes just issued (kept in ``session_state[key]``), to download once; the
    buttons are keyed ``{prefix}.download`` and ``{prefix}.done``."""
    if key not in st.session_state:
        return
    filename, pdf, n = st.session_state[key]
    with st.container(border=True):
        st.success(f"已发放 {n} 个参与码。请立即下载并打印：参与码只在此刻可以打印，离开后无法再次显示。")
        st.download_button("下载参与码纸条（PDF，A4 每页 8 张）", data=pdf, file_name=filename,
                           mime="application/pdf", type="primary", key=f"{prefix}.download",
                           on_click="ignore")
        if st.button("已打印，关闭", key=f"{prefix}.done"):
            del st.session_state[key]
            st.rerun()
