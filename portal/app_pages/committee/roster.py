import pandas as pd
import streamlit as st

from portal.services.actors import has_permission
from portal.services.identity import revoke_codes
from portal.services.identity.code_plans import plan_code_issue, plan_deactivate
from portal.services.identity.roster import (
    deactivate_resident,
    import_roster,
    list_areas,
    list_roster,
    preview_roster,
    resident_ids_for,
)
from portal.services.identity.slips import issue_code_slips
from portal.timefmt import format_datetime, now_local
from portal.ui.actions import read, save, save_and_flash
from portal.ui.confirm import confirm_button
from portal.ui.imports import roster_preview, slips_download
from portal.ui.resources import db_session
from portal.ui.templates import template_downloads
from portal.ui.widgets import file_upload, flash_and_rerun, md, require_committee, show_flash

actor = require_committee("issue_codes")
st.title("居民名册与参与码")
st.caption("名册只记录楼栋、单元、年龄段和户号，不记录姓名。参与码只在发放时显示一次，系统只保存加密后的校验值。")

FLASH = "roster.flash"
show_flash(FLASH)

PDF_KEY = "roster.pdf"  # (file name, bytes, how many) of the slips just issued


def _issue(resident_ids: list[int], label: str) -> None:
    """Issue codes and keep the slips PDF for download right away."""
    with st.spinner("正在发放参与码并生成打印文件…"):
        issued = save(issue_code_slips, actor=actor, resident_ids=resident_ids, issued_on=now_local())
    if issued:
        pdf, n = issued.value
        st.session_state[PDF_KEY] = (f"参与码-{label}-{now_local():%Y%m%d-%H%M}.pdf", pdf, n)
        st.rerun()


slips_download(PDF_KEY, prefix="roster")

tab_codes, tab_import, tab_list = st.tabs(["发放参与码", "导入名册", "名册与补发"])

with db_session() as session:
    areas = list_areas(session, actor=actor)
area_label = {a.id: f"{a.grid} {a.name}".strip() for a in areas}

with tab_codes:
    chosen_areas = st.multiselect("楼栋（不选表示全社区）", list(area_label), format_func=area_label.__getitem__,
                                  key="roster.codes.areas", placeholder="全社区")
    only_new = st.checkbox("只给还没有有效参与码的居民发放", value=True, key="roster.codes.only_new",
                           help="取消勾选会给所选楼栋的每位居民重新发码，旧码随即作废。")
    with db_session() as session:
        ids = resident_ids_for(session, actor=actor, area_ids=chosen_areas or None,
                               only_without_code=only_new)
    st.write(f"将为 **{len(ids)}** 位居民发放参与码，生成 {(len(ids) + 7) // 8} 页 A4 纸条。")
    with db_session() as session:
        plan = plan_code_issue(session, actor=actor, resident_ids=ids)
    if confirm_button("发放并生成打印文件", type="primary", key="roster.codes.issue", disabled=not ids,
                      plan=lambda: plan.sentence, fingerprint=tuple(ids), ask=plan.n_replacing > 0,
                      confirm_label=f"确认作废并重新发放 {plan.n_replacing} 个参与码"):
        label = "、".join(area_label[a].split()[-1] for a in chosen_areas[:3]) if chosen_areas else "全社区"
        _issue(ids, label)

with tab_import:
    if not has_permission(actor, "import_roster"):
        st.info("您的账号没有导入名册的权限。")
    else:
        st.write("支持 CSV（UTF-8 或 GBK 编码）和 Excel（.xlsx）。必填列：**楼栋、单元、年龄段**；可选列：户号、网格、"
                 "是否业主、专有部分面积（m²）——业主本人那一行填“是”和面积（如 89.56），用于业主表决，须同时填户号；"
                 "其他家庭成员留空。有任何一行出错时不会导入任何记录。")
        template_downloads("roster")
        upload = file_upload("选择名册文件", ["csv", "xlsx"], key=f"roster.upload.{st.session_state.get('roster.upload_n', 0)}")
        checked = None if upload is None else read(preview_roster, data=upload.getvalue(), filename=upload.name,
                                                      actor=actor)
        if upload is not None and checked:
            preview = checked.value
            accept = roster_preview(preview, accept_key="roster.accept_dups")
            if not preview.errors and st.button(f"导入 {len(preview.rows)} 位居民", type="primary",
                                                key="roster.import", disabled=not accept):
                imported = save(import_roster, actor=actor, data=upload.getvalue(), filename=upload.name,
                                accept_duplicates=accept)
                if imported:
                    result = imported.value
                    # a fresh uploader: the imported file is not offered again
                    st.session_state["roster.upload_n"] = st.session_state.get("roster.upload_n", 0) + 1
                    flash_and_rerun(FLASH, (
                        f"已导入 {result.n_residents} 位居民"
                        + (f"，新建楼栋 {'、'.join(result.new_buildings)}" if result.new_buildings else "")
                        + "。可以在“发放参与码”中为他们发码。"))

with tab_list:
    filter_areas = st.multiselect("楼栋", list(area_label), format_func=area_label.__getitem__,
                                  key="roster.list.areas", placeholder="全部楼栋")
    with db_session() as session:
        entries = list_roster(session, actor=actor, area_ids=filter_areas or None)
    states = pd.Series([e.code_state for e in entries]).value_counts()
    st.caption(md(" · ".join(f"{k} {v} 人" for k, v in states.items()) or "名册为空。"))
    df = pd.DataFrame([{
        "编号": e.resident_id, "网格": e.grid, "楼栋": e.building, "单元": e.unit, "年龄段": e.age_band,
        "户号": e.household_ref, "参与码": e.code_state, "尾号": e.code_hint,
        "发放时间": format_datetime(e.issued_at, empty=""),
    } for e in entries])
    st.dataframe(df, hide_index=True, width="stretch", height=320)
    if entries:
        by_id = {e.resident_id: e for e in entries}
        rid = st.selectbox(
            "选择居民（补发或作废）", list(by_id),
            format_func=lambda i: f"#{i} {by_id[i].building} {by_id[i].unit} {by_id[i].age_band} "
            f"{by_id[i].household_ref} · {by_id[i].code_state}", key="roster.list.resident", placeholder="请选择")
        c1, c2, c3 = st.columns(3)
        replacing = by_id[rid].code_state in ("有效", "已使用")
        if confirm_button("补发参与码（旧码作废）", key="roster.reissue", container=c1, fingerprint=rid,
                          ask=replacing, confirm_label="确认补发",
                          plan=lambda: f"将作废 #{rid} 现有的有效参与码（尾号 {by_id[rid].code_hint}）并补发新码，"
                          "旧纸条随即失效。"):
            _issue([rid], f"补发{rid}")
        if c2.button("作废参与码", key="roster.revoke", disabled=by_id[rid].code_state == "未发放"):
            save_and_flash(FLASH, lambda n: f"已作废 #{rid} 的参与码。" if n else "该居民没有有效的参与码。",
                           revoke_codes, actor=actor, resident_id=rid)
        if has_permission(actor, "import_roster"):
            if confirm_button("移出名册（已搬离等）", key="roster.deactivate", container=c3, fingerprint=rid,
                              help="参与码随即作废，此人不再计入参与情况；已提交的意见和投票保留。",
                              plan=lambda: read(plan_deactivate, actor=actor, resident_id=rid).value or "",
                              confirm_label="确认移出"):
                save_and_flash(FLASH, f"已将 #{rid} 移出名册。", deactivate_resident, actor=actor, resident_id=rid)
