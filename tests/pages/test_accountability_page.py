"""The public accountability overview: every answered theme, filterable, overdue flagged."""

from tests.pages import public_support
from tests.pages.conftest import open_page

results_db = public_support.results_db  # the fixture

PAGE = "app_pages/public/accountability.py"


def _themes(at) -> list[str]:
    return list(at.dataframe[0].value["主题"]) if at.dataframe else []


def test_lists_every_answered_public_theme_with_overdue_flag(results_db):
    at = open_page(PAGE)
    assert not at.exception
    assert sorted(_themes(at)) == ["低层住户顾虑", "施工与安全", "费用分摊"]
    df = at.dataframe[0].value
    assert list(df.loc[df["逾期"] != "", "主题"]) == ["低层住户顾虑"]
    assert {m.label: m.value for m in at.metric}["已逾期"] == "1"
    assert "充电桩位置" not in _themes(at)  # still under review: not public


def test_filters_adopted_items_not_yet_done_and_overdue_ones(results_db):
    at = open_page(PAGE)
    at.multiselect(key="acct.decisions").select("adopt").run()
    assert sorted(_themes(at)) == ["施工与安全", "费用分摊"]
    at.toggle(key="acct.unfinished").set_value(True).run()
    assert _themes(at) == ["费用分摊"]
    at.multiselect(key="acct.decisions").unselect("adopt").run()
    at.toggle(key="acct.overdue").set_value(True).run()
    assert _themes(at) == ["低层住户顾虑"]
    at.multiselect(key="acct.statuses").select("done").run()
    assert not at.dataframe and "没有符合筛选条件的事项。" in at.info[0].value
