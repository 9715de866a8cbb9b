import csv
import io
import json
import zipfile

import pytest
from sqlmodel import select

from portal.models import Opinion, Visibility, Vote
from portal.services.errors import PhaseClosed
from portal.services.publishing import opendata
from tests.results_fixtures import FORMULA_TEXTS, HIDDEN_OPINION, PII, seed_results


@pytest.fixture
def seeded(session):
    return seed_results(session)


@pytest.fixture
def data(session, seeded):
    return opendata.collect(session, seeded.consultation_id)


def _all_outputs(data) -> dict[str, str]:
    out = {"csv": opendata.opinions_csv(data).decode("utf-8-sig"),
           "json": opendata.to_json_bytes(data).decode("utf-8")}
    with zipfile.ZipFile(io.BytesIO(opendata.to_zip_bytes(data))) as z:
        for name in z.namelist():
            out[f"zip:{name}"] = z.read(name).decode("utf-8-sig")
    return out


def test_no_personal_data_hidden_text_or_resident_ids_in_any_download(session, seeded, data):
    originals = session.exec(select(Opinion.text_original).where(Opinion.pii_kinds != [])).all()
    assert originals, "the fixture plants opinions with personal data"
    for name, text in _all_outputs(data).items():
        for secret in [*PII, HIDDEN_OPINION, *originals]:
            assert secret not in text, f"{secret!r} leaked into {name}"
        assert "resident_id" not in text, name
    assert "[手机号]" in _all_outputs(data)["csv"]


def test_only_visible_opinions_with_their_vote_counts(session, seeded, data):
    ops = data.tables["opinions"]
    visible = session.exec(select(Opinion.id).where(Opinion.consultation_id == seeded.consultation_id,
                                                    Opinion.visibility == Visibility.VISIBLE)).all()
    assert sorted(ops["opinion_id"].tolist()) == sorted(visible)
    assert seeded.hidden_opinion_id not in data.tables["assignments"]["opinion_id"].tolist()
    row = ops.iloc[0]
    values = session.exec(select(Vote.value).where(Vote.opinion_id == int(row["opinion_id"]))).all()
    assert (row["agree"], row["disagree"], row["pass"]) == (
        values.count("agree"), values.count("disagree"), values.count("pass"))
    assert set(data.tables["answers"]["decision"]) == {"采纳", "部分采纳"}
    assert len(data.tables["status_updates"]) == 6
    assert data.tables["themes"]["label"].tolist() == ["费用分摊", "低层住户顾虑", "施工与安全"]


def test_spreadsheet_formulas_are_neutralised(data):
    rows = list(csv.DictReader(io.StringIO(opendata.opinions_csv(data).decode("utf-8-sig"))))
    texts = [r["text"] for r in rows]
    for formula in FORMULA_TEXTS:
        assert "'" + formula in texts
    for r in rows:
        for cell in r.values():
            assert not cell.startswith(("=", "+", "-", "@")), cell
    # JSON is data, not a spreadsheet: the text stays exactly as the resident wrote it.
    doc = json.loads(opendata.to_json_bytes(data))
    assert FORMULA_TEXTS[0] in [o["text"] for o in doc["opinions"]]


def test_every_column_is_explained_in_the_data_dictionary(data):
    doc = json.loads(opendata.to_json_bytes(data))
    for table, df in data.tables.items():
        described = [c["column"] for c in doc["data_dictionary"][table]]
        assert described == list(df.columns)
        for record in doc[table]:
            assert set(record) == set(described)
    header = opendata.opinions_csv(data).decode("utf-8-sig").splitlines()[0].split(",")
    assert header == [c for c, _, _ in opendata.DICTIONARY["opinions"]]
    assert doc["consultation"]["title"] == "老旧小区加装电梯"


def test_csv_opens_in_excel_with_chinese(data):
    raw = opendata.opinions_csv(data)
    assert raw.startswith("\ufeff".encode())  # BOM: Excel reads it as UTF-8
    assert "费用分摊" in raw.decode("utf-8-sig")


def test_unpublished_consultations_cannot_be_exported(session, seeded):
    with pytest.raises(PhaseClosed):
        opendata.collect(session, seeded.reviewing_id)
