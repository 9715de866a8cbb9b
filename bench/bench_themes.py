"""Theme quality on real messages (labeled_dev.csv, 7 government categories).

Prints NMI/ARI of ThemeModel with k=auto and k=7 beside the naive baseline measured in the
same run (private jieba.Tokenizer.lcut + stopwordsiso zh + TF-IDF + NMF, k=7), and the guided
macro-F1 (10 labelled rows per category as the guide, scored on the other rows).

    .venv/bin/python bench/bench_themes.py [--seeds 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from _common import require_data
from sklearn.metrics import adjusted_rand_score, f1_score, normalized_mutual_info_score
from threadpoolctl import threadpool_limits


def baseline(texts: list[str], k: int, seed: int) -> np.ndarray:
    import jieba
    import stopwordsiso
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    tk = jieba.Tokenizer()
    stop = set(stopwordsiso.stopwords("zh"))
    docs = [" ".join(w for w in tk.lcut(t) if w.strip() and w not in stop) for t in texts]
    X = TfidfVectorizer(token_pattern=r"(?u)\S+").fit_transform(docs)
    W = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=400).fit_transform(X)
    return W.argmax(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3, help="random_state values 0..N-1")
    args = parser.parse_args()

    from analysis import ChineseTokenizer, ThemeModel

    df = pd.read_csv(require_data("labeled_dev.csv"))
    texts = df["text"].astype(str).tolist()
    y = df["label"].to_numpy()
    classes = sorted(set(y))
    print(f"labeled_dev.csv: {len(texts)} messages, {len(classes)} categories\n")
    tk = ChineseTokenizer()
    rows = []
    with threadpool_limits(limits=1):
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            lab = baseline(texts, 7, seed)
            rows.append(
                ("baseline jieba+stopwords+TF-IDF+NMF", "7", seed, lab, time.perf_counter() - t0, 7)
            )
    for k in ("auto", 7):
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            model = ThemeModel(k=k, random_state=seed, tokenizer=tk).fit(texts)
            n_other = sum(t.size for t in model.themes_ if t.is_other)
            rows.append(
                (
                    f"ThemeModel (其他: {n_other})",
                    str(k),
                    seed,
                    model.labels_,
                    time.perf_counter() - t0,
                    model.k_,
                )
            )

    print(
        f"{'method':42s} {'k':>5s} {'seed':>4s} {'k_':>3s} {'NMI':>6s} {'ARI':>6s} {'time s':>7s}"
    )
    summary: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for name, k, seed, lab, secs, k_found in rows:
        nmi = normalized_mutual_info_score(y, lab)
        ari = adjusted_rand_score(y, lab)
        key = (name.split(" (")[0], k)
        summary.setdefault(key, []).append((nmi, ari))
        print(f"{name:42s} {k:>5s} {seed:>4d} {k_found:>3d} {nmi:6.3f} {ari:6.3f} {secs:7.1f}")
    print("\nmean over seeds")
    for (name, k), vals in summary.items():
        arr = np.array(vals)
        print(f"{name:42s} k={k:>4s}  NMI {arr[:, 0].mean():.3f}  ARI {arr[:, 1].mean():.3f}")

    print("\nguided: 10 labelled rows per category as guide, macro-F1 on the rest")
    f1s = []
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        guide: list[str | None] = [None] * len(y)
        for c in classes:
            for i in rng.choice(np.flatnonzero(y == c), size=10, replace=False):
                guide[i] = c
        model = ThemeModel(random_state=seed, tokenizer=tk).fit(texts, guide=guide)
        pred = np.array([model.themes_[i].label for i in model.labels_])
        rest = np.array([g is None for g in guide])
        f1 = f1_score(y[rest], pred[rest], average="macro", labels=classes)
        assigned = np.isin(pred[rest], classes).mean()
        f1s.append(f1)
        print(
            f"  seed {seed}: macro-F1 {f1:.3f}  (assigned to a guided theme: {assigned:.1%}, themes: {len(model.themes_)})"
        )
    print(f"  mean macro-F1 {np.mean(f1s):.3f}")
    supervised_reference(tk, texts, y, args.seeds)


def supervised_reference(tk, texts: list[str], y: np.ndarray, n_seeds: int) -> None:
    """How far labels alone can go on these features: a linear SVM on the content-word counts
    (TF-IDF), trained on 10 rows per category and, as a ceiling, on all other rows (5-fold)."""
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.svm import LinearSVC

    X = TfidfTransformer(sublinear_tf=True).fit_transform(tk.count_words(texts).counts)
    classes = sorted(set(y))
    few = []
    for seed in range(n_seeds):
        rng = np.random.default_rng(seed)
        idx = np.concatenate(
            [rng.choice(np.flatnonzero(y == c), size=10, replace=False) for c in classes]
        )
        rest = np.setdiff1d(np.arange(len(y)), idx)
        pred = LinearSVC(C=0.5).fit(X[idx], y[idx]).predict(X[rest])
        few.append(f1_score(y[rest], pred, average="macro", labels=classes))
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    full = cross_val_predict(LinearSVC(C=0.5), X, y, cv=folds)
    print("\nreference (content-word counts, TF-IDF, linear SVM, no unlabelled data):")
    print(f"  supervised on 10 rows per category:        macro-F1 {np.mean(few):.3f}")
    print(
        f"  supervised on all other rows (5-fold CV):  macro-F1 "
        f"{f1_score(y, full, average='macro', labels=classes):.3f}  (ceiling for these features)"
    )


if __name__ == "__main__":
    main()
