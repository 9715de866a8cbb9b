import pandas as pd
import pytest

from analysis import InputError, read_table

ROWS = [["1", "小区停车难，外来车辆随便进出", "停车"], ["2", "垃圾房异味很大", ""]]


def write_csv(path, encoding, rows=ROWS):
    lines = ["编号,意见,分类"] + [",".join(r) for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_detected(tmp_path, encoding):
    df = read_table(write_csv(tmp_path / "in.csv", encoding))
    assert list(df.columns) == ["编号", "意见", "分类"]
    assert df["意见"].tolist() == ["小区停车难，外来车辆随便进出", "垃圾房异味很大"]
    assert df["分类"].tolist() == ["停车", ""]
    assert df["编号"].tolist() == ["1", "2"]  # strings, not numbers


def test_xlsx(tmp_path):
    path = tmp_path / "in.xlsx"
    pd.DataFrame(ROWS, columns=["编号", "意见", "分类"]).to_excel(path, index=False)
    df = read_table(path)
    assert df["意见"].tolist()[0] == "小区停车难，外来车辆随便进出"
    assert df["分类"].tolist() == ["停车", ""]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "空"),
        ("blank.csv", b"  \n\n", "空"),
        ("header.csv", "编号,意见\n".encode(), "没有数据行"),
        ("binary.csv", bytes(range(128, 256)) * 8, "编码"),
        ("broken.xlsx", b"not a zip file", "Excel"),
        ("opinions.pdf", b"%PDF-1.4", "只支持 CSV 或 Excel"),
        ("noext", b"a,b\n1,2\n", "只支持 CSV 或 Excel"),
    ],
)
def test_bad_input_raises_chinese_input_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_table(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="找不到文件"):
        read_table(tmp_path / "nope.csv")
