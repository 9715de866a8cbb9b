"""A small published consultation written row by row, for results, open data and notice tests.

It does not need the analysis library: themes, assignments, answers, status updates and the
analysis run's summary are created directly, the way a finished run and a committee leave them.
Personal data is planted in opinions and comments so tests can prove none of it gets out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session

from portal.models import (
    Channel,
    Decision,
    Opinion,
    Phase,
    Theme,
    ThemeStatus,
    Visibility,
    VoteValue,
)
from tests import factories
from tests.factories import utc_day as _utc

PHONE = "13800138000"
ID_NUMBER = "11010519491231002X"  # valid checksum
PLATE = "沪A·12345"
ROOM = "5号楼2单元301室"
PII = [PHONE, ID_NUMBER, PLATE, ROOM, "2单元301室"]
HIDDEN_OPINION = "楼上那家人素质太差简直不是东西"
HIDDEN_COMMENT = "你这种人就别在这里发言了滚"
TITLE = "老旧小区加装电梯"
FORMULA_TEXTS = [
    "=HYPERLINK(\"http://example.com\",\"点我查看加装电梯方案\")",
    "+1 支持先在3号楼试点加装电梯",
    "-不同意占用绿地来加装电梯",
    "@居委会 请公布电梯费用的分摊办法",
]


@dataclass
class Seeded:
    consultation_id: int
    reviewing_id: int
    theme_ids: dict[str, int] = field(default_factory=dict)
    hidden_opinion_id: int = 0
    resident_ids: list[int] = field(default_factory=list)


THEMES = {
    "费用分摊": [
        f"电梯费用怎么分摊要说清楚，我家电话{PHONE}，可以联系我商量",
        "一楼二楼不用电梯，出钱比例应该少一些，高层多出一点比较公平",
        "希望政府补贴能多一点，老人家里负担不起加装电梯的费用",
        FORMULA_TEXTS[3],
    ],
    "低层住户顾虑": [
        f"我住{ROOM}，电梯井挡住我家窗户的采光，必须给个说法",
        "低层住户担心噪音和采光，施工前要开协调会听听我们的意见",
        FORMULA_TEXTS[2],
    ],
    "施工与安全": [
        f"施工期间车辆怎么停？我的车牌{PLATE}经常被挡住出不去",
        "施工要安排在白天，晚上不要打扰老人休息，注意围挡安全",
        f"我身份证号{ID_NUMBER}，愿意当楼道监督员，盯着施工质量",
        FORMULA_TEXTS[0],
        FORMULA_TEXTS[1],
    ],
}


def seed_results(session: Session, *, today: date | None = None) -> Seeded:
    """One published consultation with three answered themes, plus one still under review."""
    today = today or date.today()
    community = factories.community(session, district="徐汇区")
    areas = factories.buildings(session, community, [(f"{i}号楼", "第一网格" if i <= 2 else "第二网格")
                                                     for i in range(1, 5)], numbered=True)
    residents = factories.residents(session, community, areas, 40, age_bands=["30-44", "45-59", "60-69", "70-79"],
                                    units=2)

    opens = _utc(today - timedelta(days=60))
    closes = _utc(today - timedelta(days=30), 18)
    c = factories.consultation(session, community, title=TITLE, question="您对本小区加装电梯有什么意见和建议？",
                               background="小区有 4 栋六层住宅楼，没有电梯。", opens_at=opens, closes_at=closes,
                               phase=Phase.PUBLISHED, published_at=_utc(today - timedelta(days=10)))
    other = factories.consultation(session, community, title="停车难与非机动车充电", question="停车和充电有什么办法？",
                                   opens_at=opens, closes_at=closes, phase=Phase.REVIEWING)
    seeded = Seeded(consultation_id=c.id, reviewing_id=other.id,  # type: ignore[arg-type]
                    resident_ids=[r.id for r in residents])  # type: ignore[misc]

    run = factories.analysis_run(session, c, n_opinions=12, finished_at=_utc(today - timedelta(days=25)))

    channels = [Channel.WEB, Channel.PAPER, Channel.WEB, Channel.PHONE, Channel.DOOR]
    opinions: list[Opinion] = []
    members: dict[str, list[Opinion]] = {}
    n = 0
    for label, texts in THEMES.items():
        for text in texts:
            op = factories.opinion(session, c, residents[n], text, channel=channels[n % len(channels)],
                                   received_at=opens + timedelta(days=n * 2, hours=3))
            opinions.append(op)
            members.setdefault(label, []).append(op)
            n += 1
    hidden = factories.opinion(session, c, residents[n], HIDDEN_OPINION, received_at=opens + timedelta(days=5),
                               hidden="人身攻击")
    seeded.hidden_opinion_id = hidden.id  # type: ignore[assignment]
    members["施工与安全"].append(hidden)  # filed under a theme before it was hidden

    # Votes: residents 20..39 vote; the hidden opinion gets votes too (they must not count).
    for r in residents[20:]:
        for i, op in enumerate([*opinions, hidden]):
            if (r.id + i) % 3 == 0:
                continue
            factories.vote(session, op, r, VoteValue.AGREE if (r.id * 7 + i) % 4 else VoteValue.DISAGREE)

    factories.comment(session, opinions[0], residents[30], f"有事打我电话{PHONE}或者到{ROOM}找我")
    factories.comment(session, opinions[1], residents[31], HIDDEN_COMMENT, hidden=True)

    answers = {
        "费用分摊": (Decision.ADOPT, "按楼层系数分摊，一楼不出资，六楼出资最多；申请区里的加装电梯补贴。",
                 "居委会与业委会", today + timedelta(days=30),
                 [(ThemeStatus.ANSWERED, "已在楼道张贴分摊方案", 20), (ThemeStatus.IN_PROGRESS, "补贴申请已提交街道", 8)]),
        "低层住户顾虑": (Decision.PARTIAL, "电梯井选址避开主卧窗户，对采光受影响的住户给予一次性补偿，噪音问题由厂家提供低噪机型。",
                   "物业公司", today - timedelta(days=5),
                   [(ThemeStatus.ANSWERED, "已召开低层住户协调会", 15), (ThemeStatus.IN_PROGRESS, "正在与厂家确认机型", 6)]),
        "施工与安全": (Decision.ADOPT, "施工只在白天进行，设置硬质围挡，施工期间临时停车位另行公布。",
                  "施工单位", today - timedelta(days=3),
                  [(ThemeStatus.ANSWERED, "已与施工单位签订文明施工承诺书", 18), (ThemeStatus.DONE, "围挡和临时停车位已落实", 2)]),
    }
    themes: dict[str, Theme] = {}
    for pos, (label, ops) in enumerate(members.items()):
        visible = [o for o in ops if o.visibility == Visibility.VISIBLE]
        t = factories.theme(session, c, label, ops, run_id=run.id, position=pos,
                            keywords={"费用分摊": ["费用", "分摊", "补贴", "出钱"],
                                      "低层住户顾虑": ["低层", "采光", "噪音", "协调"],
                                      "施工与安全": ["施工", "围挡", "安全", "停车"]}[label],
                            representative_ids=([o.id for o in ops][-3:] if label == "施工与安全"
                                                else [o.id for o in ops][:2]),
                            size=len(visible), n_distinct=len(visible), n_residents=len(visible),
                            support=10 + pos * 5, opposition=3 + pos, hot_score=3.0 - pos * 0.7)
        themes[label] = t
        seeded.theme_ids[label] = t.id  # type: ignore[assignment]
        decision, reasoning, party, due, updates = answers[label]
        factories.answer(session, t, decision, reasoning, party, due_date=due,
                         created_at=_utc(today - timedelta(days=21)),
                         updates=[(status, note, _utc(today - timedelta(days=days_ago), 10))
                                  for status, note, days_ago in updates])
    # A theme retired by a later run must not be shown.
    factories.theme(session, c, "旧主题已合并", active=False, size=2)
    # The reviewing consultation has an answered theme that is not public yet.
    draft_theme = factories.theme(session, other, "充电桩位置", size=3, status=ThemeStatus.ANSWERED)
    factories.answer(session, draft_theme, Decision.ADOPT, "尚未公布的回应草稿", "物业公司")

    run.summary = {
        "groups": [
            {"id": 0, "size": 12, "representative": [
                {"opinion_id": opinions[1].id, "agree_share": 0.9, "repness": 2.0},
                {"opinion_id": hidden.id, "agree_share": 0.8, "repness": 1.5}]},
            {"id": 1, "size": 8, "representative": [
                {"opinion_id": opinions[4].id, "agree_share": 0.85, "repness": 1.8},
                {"opinion_id": opinions[6].id, "agree_share": 0.1, "repness": 3.0,
                 "direction": "disagree", "share": 0.88, "confidence": 0.95}]},
        ],
        "group_note": "分组较明显：各组看法有差别，但也有不少居民的看法介于几组之间。",
        "points": [{"resident_id": r.id, "group": i % 2, "x": float(i) / 10, "y": float(i % 5) / 5}
                   for i, r in enumerate(residents[20:])],
        "consensus": [opinions[2].id, hidden.id, opinions[8].id],
        "divisive": [opinions[4].id, hidden.id],
        "duplicate_groups": [],
    }
    session.add(run)
    session.commit()
    return seeded


# ---------------------------------------------------------------- the demo corpus


def demo_pii() -> list[str]:
    """Every phone number, ID, plate and room address written into the demo corpus."""
    from analysis import find_pii
    from portal.settings import PACKAGED_DATA

    corpus = json.loads((PACKAGED_DATA / "demo" / "corpus.json").read_text(encoding="utf-8"))
    texts = []
    for c in corpus["consultations"]:
        texts += [t for theme in c["themes"] for t in theme["opinions"]]
        texts += c.get("comments", []) + c.get("off_topic", []) + c.get("abusive", [])
    return sorted({m.text for t in texts for m in find_pii(t)})


def demo_hidden() -> list[str]:
    """Abusive opinions of the analysed demo consultations: the demo committee hid them."""
    from analysis import redact_pii
    from portal.settings import PACKAGED_DATA

    corpus = json.loads((PACKAGED_DATA / "demo" / "corpus.json").read_text(encoding="utf-8"))
    return [redact_pii(t.strip()) for c in corpus["consultations"] if c["phase"] in ("published", "reviewing")
            for t in c.get("abusive", [])]
