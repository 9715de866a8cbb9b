import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def eval_data_dir() -> Path:
    """``$PORTAL_EVAL_DATA``, else ``<repo>/../shared/data`` (or one level up, for worktrees)."""
    if "PORTAL_EVAL_DATA" in os.environ:
        return Path(os.environ["PORTAL_EVAL_DATA"])
    for parent in (ROOT.parent, ROOT.parent.parent):
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def real_messages():
    """The first 300 real messages of labeled_dev.csv, or a skip with the reason."""
    path = eval_data_dir() / "tipdm2020c" / "labeled_dev.csv"
    if not path.exists():
        reason = f"evaluation data not found at {path} (set PORTAL_EVAL_DATA)"
        print(reason)
        pytest.skip(reason)
    import pandas as pd

    return pd.read_csv(path, nrows=300)["text"].astype(str).tolist()


@pytest.fixture(scope="session")
def tokenizer(tmp_path_factory):
    from analysis import ChineseTokenizer

    return ChineseTokenizer(cache_dir=tmp_path_factory.mktemp("jieba-cache"))


@pytest.fixture(scope="session")
def jieba_tokenizer(tmp_path_factory):
    from analysis import ChineseTokenizer

    return ChineseTokenizer(engine="jieba", cache_dir=tmp_path_factory.mktemp("jieba-cache"))
