"""Guided themes: learning curve of the committee's answers (labeled_dev.csv, 7 categories).

Fair split per seed: two thirds of the rows (stratified) are the pool the committee may be asked
about, macro-F1 is measured on the other third, which is never shown (it is fitted as unlabelled
text, as new opinions are in a real run).

The simulated committee types each theme's name (the category) and the ten keywords in
``KEYWORDS`` below: written once by hand from the category *names* (what a committee member
would type), not derived from the data. Then it answers the opinions that
``GuidedThemes.suggest`` picks, 7 at a time: 属于「…」 when the proposed theme is right,
otherwise 不属于「…」 and 改到 the true category. F1 at 0, 35, 70, 140, 210, 350 answers.

Baselines in the same run: the shipped guided model (``ThemeModel`` guide, legacy learner) with
the same number of random answers (balanced per category, no keywords: it takes none), and
the new learner with keywords and the same random answers (no uncertainty sampling).

    .venv/bin/python bench/bench_guided.py [--seeds 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from _common import require_data
from sklearn.metrics import f1_score
from threadpoolctl import threadpool_limits

KEYWORDS = {
    "城乡建设": "小区 物业 房屋 拆迁 安置 规划 施工 开发商 业主 棚改",
    "劳动和社会保障": "工资 社保 养老保险 医保 退休 劳动合同 就业 失业 工伤 拖欠",
    "教育文体": "学校 学生 老师 教育 幼儿园 招生 入学 培训 体育 考试",
    "商贸旅游": "商家 消费者 价格 旅游 景区 超市 市场 商铺 退款 传销",
    "环境保护": "污染 环境 噪音 排放 废气 污水 环保 臭味 粉尘 化工厂",
    "卫生计生": "医院 医生 患者 药品 卫生 计划生育 生育 疫苗 诊所 医疗",
    "交通运输": "公交 出租车 交通 车辆 驾驶证 线路 高铁 地铁 网约车 司机",
}
CHECKPOINTS = (0, 35, 70, 140, 210, 350)
BATCH = 7


def split(y: np.ndarray, seed: int) -> np.ndarray:
    """Boolean test mask: a third of every category, chosen by ``seed``."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for c in sorted(set(y)):
        rows = np.flatnonzero(y == c)
        rng.shuffle(rows)
        test[rows[: len(rows) // 3]] = True
    return test


def random_answers(y: np.ndarray, pool: np.ndarray, total: int, seed: int) -> list[int]:
    """``total`` pool rows, as balanced over the categories as possible."""
    rng = np.random.default_rng(1000 + seed)
    classes = sorted(set(y))
    per = {c: rng.permutation(pool[y[pool] == c]).tolist() for c in classes}
    out: list[int] = []
    while len(out) < total:
        for c in classes:
            if per[c] and len(out) < total:
                out.append(per[c].pop())
    return out


def macro_f1(y: np.ndarray, pred: list[str | None], test: np.ndarray) -> float:
    classes = sorted(set(y))
    p = np.array(["" if v is None else v for v in pred], dtype=object)
    return float(f1_score(y[test], p[test], average="macro", labels=classes))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3, help="random_state values 0..N-1")
    args = parser.parse_args()

    from analysis import ChineseTokenizer, ThemeModel
    from analysis.guided import Answer, GuidedThemes, parse_keywords

    df = pd.read_csv(require_data("labeled_dev.csv"))
    texts = df["text"].astype(str).tolist()
    y = df["label"].astype(str).to_numpy()
    seeds = {c: parse_keywords(k) for c, k in KEYWORDS.items()}
    print(f"labeled_dev.csv: {len(texts)} messages, {len(seeds)} categories, batch {BATCH}\n")
    tk = ChineseTokenizer()
    results: dict[str, dict[int, list[float]]] = {}

    def record(method: str, n: int, f1: float) -> None:
        results.setdefault(method, {}).setdefault(n, []).append(f1)

    for seed in range(args.seeds):
        t0 = time.perf_counter()
        test = split(y, seed)
        pool = np.flatnonzero(~test)
        # features once per seed, as ThemeModel computes them
        tm = ThemeModel(random_state=seed, tokenizer=tk)
        tm.tokenizer_ = tk
        _clean, counts, names = tm._tokenize(texts)
        with threadpool_limits(limits=1):
            _c, X, Z = tm._vectorize(counts, names)
        vocab = list(tm.vocabulary_)

        def learner(seed: int = seed) -> GuidedThemes:
            return GuidedThemes(random_state=seed, tokenizer=tk)

        # active: the learner proposes, the simulated committee answers
        answers: list[Answer] = []
        answered: set[int] = set()
        pool_mask = np.zeros(len(y), dtype=bool)
        pool_mask[pool] = True
        exclude = np.flatnonzero(test).tolist()
        with threadpool_limits(limits=1):
            while True:
                model = learner().fit_features(X, Z, vocab, seeds, answers)
                if len(answered) in CHECKPOINTS:
                    f1 = macro_f1(y, model.label_names(), test)
                    record("new: keywords + uncertainty", len(answered), f1)
                if len(answered) >= max(CHECKPOINTS):
                    break
                for i in model.suggest(BATCH, exclude=exclude):
                    proposed = model.themes_[model.labels_[i]] if model.labels_[i] >= 0 else None
                    if proposed == y[i]:
                        answers.append(Answer(i, y[i], True))
                    else:
                        if proposed is not None:
                            answers.append(Answer(i, proposed, False))
                        answers.append(Answer(i, y[i], True))
                    answered.add(i)
            t_active = time.perf_counter() - t0
            # the same learner with random (balanced) answers
            for n in CHECKPOINTS:
                rows = random_answers(y, pool, n, seed)
                model = learner().fit_features(X, Z, vocab, seeds, [Answer(i, y[i]) for i in rows])
                record("new: keywords + random answers", n, macro_f1(y, model.label_names(), test))
        # the shipped learner: guide column with random answers (it takes no keywords)
        for n in CHECKPOINTS[1:4]:
            rows = set(random_answers(y, pool, n, seed))
            guide = [y[i] if i in rows else None for i in range(len(y))]
            old = ThemeModel(random_state=seed, tokenizer=tk, guided_learner="legacy").fit(
                texts, guide=guide
            )
            pred = [old.themes_[t].label for t in old.labels_]
            record("shipped ThemeModel guide, random answers", n, macro_f1(y, pred, test))
        print(f"seed {seed}: {time.perf_counter() - t0:.0f} s (active loop {t_active:.0f} s)")

    print(f"\nmacro-F1 on the held-out third, mean over {args.seeds} seeds (min–max)")
    print(f"{'answers':42s}" + "".join(f"{n:>16d}" for n in CHECKPOINTS))
    for method, by_n in results.items():
        cells = [
            f"{np.mean(v):.3f} {np.min(v):.2f}-{np.max(v):.2f}" if (v := by_n.get(n)) else ""
            for n in CHECKPOINTS
        ]
        print(f"{method:42s}" + "".join(f"{c:>16s}" for c in cells))


if __name__ == "__main__":
    main()
