from typer.testing import CliRunner

from portal.cli import app
from tests.results_fixtures import TITLE, seed_results


def test_notice_command_writes_the_pdf_and_open_data(session, tmp_path):
    seeded = seed_results(session)
    result = CliRunner().invoke(app, ["notice", str(seeded.consultation_id), "--out", str(tmp_path / "kit")])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "kit").iterdir())
    stem = f"consultation-{seeded.consultation_id}"
    assert names == sorted([f"{stem}-notice.pdf", f"{stem}-opinions.csv", f"{stem}.json", f"{stem}-tables.zip"])
    assert TITLE in result.output
    assert (tmp_path / "kit" / f"{stem}-notice.pdf").read_bytes().startswith(b"%PDF")


def test_notice_command_refuses_unpublished_results(session, tmp_path):
    seeded = seed_results(session)
    result = CliRunner().invoke(app, ["notice", str(seeded.reviewing_id), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "结果还没有公示" in result.output
