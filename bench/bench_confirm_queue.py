"""How long the committee waits between two 确认归类 answers (portal/services/review/confirm.py).

The 1,837 real dev messages become the opinions of one consultation in a temporary SQLite
database; the committee names two themes with keywords and answers 10 opinions the queue
chooses (属于 when the message's category matches the theme, else 不属于). Reported: the
first queue call with nothing kept (tokenising + fit), the first queue call right after an
analysis run of the same opinions (the run hands its features over, ``confirm.keep_features``),
the mean of the next ones (features kept, fit only), and, as the baseline measured in the same
run, ``GuidedThemes.fit`` re-tokenising every time. CPU times beside wall times (the machine is
shared).

    PYTHONPATH=$PWD python bench/bench_confirm_queue.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pandas as pd

from bench._common import require_data

THEMES = {"交通出行": ("交通运输", "公交、道路、出租车、驾驶"), "学校教育": ("教育文体", "学校、学生、老师、幼儿园")}


def main() -> None:
    from sqlmodel import Session

    from analysis.guided import Answer, GuidedThemes
    from portal.db import make_engine, upgrade
    from portal.models import Community, Consultation, Opinion, Phase
    from portal.services import review
    from portal.services.actors import SystemActor
    from portal.services.review import confirm
    from portal.services.review.runs import run_analysis
    from portal.services.text import tokenizer

    df = pd.read_csv(require_data("labeled_dev.csv"))
    texts, labels = df["text"].astype(str).tolist(), df["label"].astype(str).tolist()
    actor = SystemActor("bench")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        upgrade(url)
        engine = make_engine(url)
        with Session(engine) as s:
            community = Community(name="基准社区")
            s.add(community)
            s.flush()
            c = Consultation(community_id=community.id, title="基准议题", question="您有什么意见？",
                             phase=Phase.REVIEWING)
            s.add(c)
            s.flush()
            ops = [Opinion(consultation_id=c.id, text_original=t, text_public=t) for t in texts]
            s.add_all(ops)
            s.flush()
            category = {o.id: lab for o, lab in zip(ops, labels, strict=True)}
            themes = {name: review.name_theme(s, actor=actor, consultation_id=c.id, label=name, keywords=kw).id
                      for name, (_cat, kw) in THEMES.items()}
            s.commit()
            cid = c.id
            tokenizer()  # the dictionary load is a one-off of the process, not of the queue
            confirm._FEATURES.clear()
            start, cpu = time.perf_counter(), time.process_time()
            review.confirm_queue(s, actor=actor, consultation_id=cid)
            cold = (time.perf_counter() - start, time.process_time() - cpu)
            confirm._FEATURES.clear()
            start = time.perf_counter()
            run_analysis(engine, actor=actor, consultation_id=cid)
            run_secs = time.perf_counter() - start
            start, cpu = time.perf_counter(), time.process_time()
            review.confirm_queue(s, actor=actor, consultation_id=cid)
            after_run = (time.perf_counter() - start, time.process_time() - cpu)
            waits = []
            for _ in range(11):
                start = time.perf_counter()
                item = review.confirm_queue(s, actor=actor, consultation_id=cid)
                waits.append(time.perf_counter() - start)
                assert item is not None
                belongs = category[item.opinion_id] == THEMES[item.theme_label][0]
                review.answer_opinion(s, actor=actor, opinion_id=item.opinion_id,
                                      theme_id=themes[item.theme_label], belongs=belongs)
                s.commit()
        engine.dispose()
    seeds = {name: kw.split("、") for name, (_c, kw) in THEMES.items()}
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    with threadpool_limits(limits=1):
        GuidedThemes(tokenizer=tokenizer()).fit(texts, seeds, [Answer(0, "交通出行")])
    refit = time.perf_counter() - start
    warm = sum(waits[1:]) / len(waits[1:])
    print(f"{len(texts)} opinions, 2 named themes, 10 answers")
    print(f"first queue call, nothing kept (tokenise + fit): {cold[0]:.2f} s wall, {cold[1]:.2f} s CPU")
    print(f"analysis run: {run_secs:.1f} s")
    print(f"first queue call after the run (features handed over): {after_run[0]:.2f} s wall, "
          f"{after_run[1]:.2f} s CPU; ratio to nothing kept {after_run[0] / cold[0]:.2f} wall, "
          f"{after_run[1] / cold[1]:.2f} CPU")
    print(f"next queue calls (features kept):  {warm:.2f} s mean, max {max(waits[1:]):.2f} s")
    print(f"baseline GuidedThemes.fit (re-tokenising): {refit:.2f} s")
    print(f"ratio kept / re-tokenising: {warm / refit:.2f}")


if __name__ == "__main__":
    main()
