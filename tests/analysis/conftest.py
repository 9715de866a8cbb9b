import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def eval_data_dir() -> Path:
    return Path(os.environ.get("PORTAL_EVAL_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def tokenizer(tmp_path_factory):
    from analysis import ChineseTokenizer

    return ChineseTokenizer(cache_dir=tmp_path_factory.mktemp("jieba-cache"))


@pytest.fixture(scope="session")
def jieba_tokenizer(tmp_path_factory):
    from analysis import ChineseTokenizer

    return ChineseTokenizer(engine="jieba", cache_dir=tmp_path_factory.mktemp("jieba-cache"))
