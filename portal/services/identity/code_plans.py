"""Dry runs of the roster's irreversible actions: what issuing codes or taking someone off the
roster would do, with counts, for the confirmation the committee answers first (nothing is written)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from portal.models import Area, Resident
from portal.services.actors import Actor, require
from portal.services.errors import NotFound
from portal.services.identity.roster import list_roster


@dataclass(frozen=True)
class CodeIssuePlan:
    """What issuing codes to a set of residents would do (a dry run: nothing is written)."""

    n_residents: int
    n_replacing: int  # usable codes (有效 or 已使用) that would be revoked and replaced
    n_used: int  # of those, codes residents have already signed in with

    @property
    def sentence(self) -> str:
        """The confirmation sentence, with counts."""
        if self.n_replacing == 0:
            return (f"将为 {self.n_residents} 位居民发放新的参与码。他们目前都没有有效的参与码，"
                    "新码只在打印文件中出现一次。")
        used = (f"其中 {self.n_used} 位居民已经用旧码登录过，需要用新码重新登录；"
                if self.n_used else "")
        return (f"将作废 {self.n_replacing} 个有效参与码并重新发放（共 {self.n_residents} 位居民）。"
                f"{used}旧纸条随即失效，此操作不能撤销。")


def plan_code_issue(session: Session, *, actor: Actor, resident_ids: list[int]) -> CodeIssuePlan:
    """Dry run of ``issue_codes``: how many residents get a code, how many usable codes it revokes."""
    wanted = set(resident_ids)
    states = [e.code_state for e in list_roster(session, actor=actor) if e.resident_id in wanted]
    return CodeIssuePlan(len(wanted), sum(s in ("有效", "已使用") for s in states),
                         sum(s == "已使用" for s in states))


def plan_deactivate(session: Session, *, actor: Actor, resident_id: int) -> str:
    """Dry run of ``deactivate_resident``: the confirmation sentence."""
    require(actor, "import_roster")
    resident = session.get(Resident, resident_id)
    if resident is None or not resident.active:
        raise NotFound("找不到这位居民，或已从名册中移除。")
    area = session.get(Area, resident.area_id)
    usable = [e for e in list_roster(session, actor=actor, area_ids=[resident.area_id])
              if e.resident_id == resident_id and e.code_state in ("有效", "已使用")]
    code = f"其有效参与码（尾号 {usable[0].code_hint}）将作废，" if usable else ""
    where = " ".join(p for p in ((area.name if area else ""), resident.unit) if p)
    return (f"将把 #{resident_id}（{where}）移出名册：{code}此人不再计入参与情况，"
            "已提交的意见和投票保留。此操作不能在页面上撤销。")
