"""The two template downloads (Excel and CSV) above an import's file box."""

from __future__ import annotations

import streamlit as st

from portal.services.import_templates import MIME, Kind, import_template


def template_downloads(kind: Kind) -> None:
    """下载模板 buttons, keyed ``{kind}.template.xlsx`` / ``{kind}.template.csv``."""
    cols = st.columns(2)
    for col, fmt, label in zip(cols, ("xlsx", "csv"), ("下载模板（Excel）", "下载模板（CSV）"), strict=True):
        name, data = import_template(kind, fmt)  # type: ignore[arg-type]
        col.download_button(label, data=data, file_name=name, mime=MIME[fmt], key=f"{kind}.template.{fmt}",
                            icon=":material/download:", on_click="ignore")
