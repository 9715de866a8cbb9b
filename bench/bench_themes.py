"""Theme quality on real messages and on two other corpora, in one table.

Corpora (read at run time from the shared evaluation data, never copied): tipdm
``labeled_dev.csv`` (government messages, 7 categories, median ~230 characters) and
``other_domains/reviews_dev.csv`` (shopping and hotel reviews, 10 categories, median 39) and
``other_domains/news_titles_dev.csv`` (news titles, 10 classes, median 19). For each corpus,
over seeds 0..N-1: ThemeModel with k=auto (NMI, ARI, k found, share in 其他) beside a naive
baseline measured in the same run (private jieba.Tokenizer.lcut + stopwordsiso zh + TF-IDF +
k-means at the *true* k), and seed stability of ThemeModel (range of k, mean pairwise ARI of
the partitions). Then the tipdm details as before: k=7 and the guided macro-F1.

    .venv/bin/python bench/bench_themes.py [--seeds 5] [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from _common import eval_data_dir, require_data
from sklearn.metrics import adjusted_rand_score, f1_score, normalized_mutual_info_score
from threadpoolctl import threadpool_limits


def other_domain(name: str):  # type: ignore[no-untyped-def]
    path = eval_data_dir() / "other_domains" / name
    if not path.exists():
        raise SystemExit(f"evaluation data not found: {path} (set PORTAL_EVAL_DATA)")
    return path


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


def naive_features(texts: list[str]):  # type: ignore[no-untyped-def]
    """The naive reference of the data README: jieba + stop words + TF-IDF."""
    import jieba
    import stopwordsiso
    from sklearn.feature_extraction.text import TfidfVectorizer

    tk = jieba.Tokenizer()
    stop = set(stopwordsiso.stopwords("zh"))
    docs = [" ".join(w for w in tk.lcut(t) if w.strip() and w not in stop) for t in texts]
    return TfidfVectorizer(token_pattern=r"(?u)\S+").fit_transform(docs)


def naive_kmeans(X, k: int, seed: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """k-means on the naive features at the true k."""
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(X)


def corpora_table(tk, seeds: int) -> None:
    """One row per corpus: quality with k=auto, baseline, share in 其他, seed stability."""
    from itertools import combinations

    from analysis import ThemeModel

    files = {
        "tipdm (政务留言)": require_data("labeled_dev.csv"),
        "reviews (商品评论)": other_domain("reviews_dev.csv"),
        "news titles (新闻标题)": other_domain("news_titles_dev.csv"),
    }
    header = (
        f"{'corpus':22s} {'n':>5s} {'true k':>6s} {'NMI':>6s} {'ARI':>6s} {'k found':>8s} "
        f"{'其他':>6s} {'naive NMI':>9s} {'naive ARI':>9s} {'seed ARI':>8s} {'s/run':>6s}"
    )
    print(
        f"k=auto over seeds 0..{seeds - 1} (means; naive = jieba+stopwords+TF-IDF+k-means, true k)"
    )
    print(header)
    for name, path in files.items():
        df = pd.read_csv(path)
        texts = df["text"].astype(str).tolist()
        y = df["label"].to_numpy()
        true_k = len(set(y))
        nmis, aris, ks, other, secs, parts, base_n, base_a = [], [], [], [], [], [], [], []
        naive_X = naive_features(texts)
        for seed in range(seeds):
            t0 = time.perf_counter()
            model = ThemeModel(random_state=seed, tokenizer=tk).fit(texts)
            secs.append(time.perf_counter() - t0)
            nmis.append(normalized_mutual_info_score(y, model.labels_))
            aris.append(adjusted_rand_score(y, model.labels_))
            ks.append(model.k_)
            other.append(sum(t.size for t in model.themes_ if t.is_other) / len(texts))
            parts.append(model.labels_)
            with threadpool_limits(limits=1):
                base = naive_kmeans(naive_X, true_k, seed)
            base_n.append(normalized_mutual_info_score(y, base))
            base_a.append(adjusted_rand_score(y, base))
        pair = [adjusted_rand_score(a, b) for a, b in combinations(parts, 2)]
        k_range = f"{min(ks)}–{max(ks)}" if min(ks) != max(ks) else str(ks[0])
        print(
            f"{name:22s} {len(texts):5d} {true_k:6d} {np.mean(nmis):6.3f} {np.mean(aris):6.3f} "
            f"{k_range:>8s} {np.mean(other):6.1%} {np.mean(base_n):9.3f} {np.mean(base_a):9.3f} "
            f"{(np.mean(pair) if pair else 1.0):8.2f} {np.mean(secs):6.1f}"
        )
        print(f"{'':22s} per seed NMI {' '.join(f'{v:.3f}' for v in nmis)}  k {ks}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5, help="random_state values 0..N-1")
    parser.add_argument("--quick", action="store_true", help="only the three-corpus table")
    args = parser.parse_args()

    from analysis import ChineseTokenizer, ThemeModel

    tk = ChineseTokenizer()
    corpora_table(tk, args.seeds)
    if args.quick:
        return
    df = pd.read_csv(require_data("labeled_dev.csv"))
    texts = df["text"].astype(str).tolist()
    y = df["label"].to_numpy()
    classes = sorted(set(y))
    print(f"labeled_dev.csv: {len(texts)} messages, {len(classes)} categories\n")
    rows = []
    with threadpool_limits(limits=1):
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            lab = baseline(texts, 7, seed)
            rows.append(
                ("baseline jieba+stopwords+TF-IDF+NMF", "7", seed, lab, time.perf_counter() - t0, 7)
            )
    for k in (7,):
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
