"""How `newsgraph validate` and `newsgraph build` grow with the corpus.

Generates N articles in the real seed format (seeds/entities.yaml and one
folder per article, read by the real loader): a register that grows with N
(a new person, post and tenure per article, organisations, cities and sources
every few articles) and a few shared people every article reuses; each article
has a meeting of two people in their offices, a direct quote that occurs in its
text, and mentions of the people and their tenures. For each N it runs, each in
a fresh process (so peak RSS is that run's): `validate` and a `build`, both
cold (the build cache, .newsgraph-cache/, removed first), and a rebuild after
appending a sentence to one article (with the cache the cold build left). The
baseline is the earlier algorithm (the whole corpus mapped into one dataset,
every article validated with the whole register, in one process), timed in the
same run on the smallest sizes.

    python bench/bench_build.py                       # N = 10, 100, 1000
    python bench/bench_build.py --sizes 10 100 --baseline-sizes 10
    python bench/bench_build.py --large               # adds N = 10000 (long)
    python bench/bench_build.py --sizes 10000 --baseline-sizes --no-validate-run
    python bench/bench_build.py --jobs 1              # no worker processes

Prints wall and CPU seconds, peak RSS (the main process, the largest worker),
CPU milliseconds per article of each phase (read; map: the register here and
each article in its worker; validate; publish; store load), the growth exponent of CPU
time fitted between consecutive sizes (1 is linear, 2 quadratic), and the
ratio of the baseline's validation CPU to this one's at the same N.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED_PEOPLE = 6
WORDS = ("trade energy health education ports investment transport fisheries mining "
         "culture tourism agriculture finance justice housing water science labour").split()
SYLLABLES = "ka lo mi na re sa to vi xu ye zan bor cel dia fer gon hul ist jor kel".split()
CACHE_DIR = ".newsgraph-cache"  # newsgraph.pipeline.cache.CACHE_DIR, without importing it
PHASES = ("read", "map", "validate", "publish", "store load")


# ---------------------------------------------------------------- the corpus


def _name(rng: random.Random, parts: int) -> str:
    return " ".join("".join(rng.choice(SYLLABLES) for _ in range(2 + i % 2)).capitalize()
                    for i in range(parts))


def generate(root: Path, n: int, seed: int = 7) -> None:
    """A project of ``n`` articles under ``root`` (same seed, same files)."""
    rng = random.Random(seed)
    (root / "seeds").mkdir(parents=True)
    (root / "newsgraph.toml").write_text('base = "https://w3id.org/newsgraph/"\n')
    countries = [f"country-{k}" for k in range(8)]
    cities = [f"city-{k}" for k in range(max(4, n // 10))]
    ministries = [f"ministry-{k}" for k in range(max(4, n // 5))]
    outlets = [f"outlet-{k}" for k in range(max(2, n // 50))]
    sources = [f"source-{k}" for k in range(max(2, n // 20))]
    people = [f"person-{k}" for k in range(SHARED_PEOPLE + n)]
    country_name = {c: _name(rng, 1) + "land" for c in countries}
    city_name = {c: _name(rng, 1) + f" {i}" for i, c in enumerate(cities)}
    person_name = {p: _name(rng, 2) for p in people}
    post_label = {p: f"Minister of {WORDS[i % len(WORDS)].title()} No. {i}"
                  for i, p in enumerate(people)}
    out = ["people:"]
    for p in people:
        out += [f"  {p}:", f"    name: {person_name[p]}"]
    out.append("organizations:")
    for i, m in enumerate(ministries):
        out += [f"  {m}:", f"    name: Ministry of {WORDS[i % len(WORDS)].title()} {i}",
                "    type: government", f"    location: {cities[i % len(cities)]}"]
    for i, o in enumerate(outlets):
        out += [f"  {o}:", f"    name: Outlet {i}", "    type: news-media"]
    out.append("places:")
    for c in countries:
        out += [f"  {c}:", f"    name: {country_name[c]}", "    type: country"]
    for i, c in enumerate(cities):
        out += [f"  {c}:", f"    name: {city_name[c]}", "    type: city",
                f"    in: {countries[i % len(countries)]}"]
    out.append("posts:")
    for i, p in enumerate(people):
        out += [f"  post-{p}:", f"    label: {post_label[p]}",
                f"    organization: {ministries[i % len(ministries)]}"]
    out.append("tenures:")
    for i, p in enumerate(people):
        out += [f"  tenure-{p}:", f"    person: {p}", f"    post: post-{p}",
                f"    start: 20{10 + i % 10}-01-15", f"    source: [{sources[i % len(sources)]}]"]
    out.append("works:")
    for i, s in enumerate(sources):
        out += [f"  {s}:", "    type: web-page", f"    name: Official record {i}",
                f"    publisher: {outlets[i % len(outlets)]}", "    published: 2024-01-01",
                f"    url: https://records.example.org/{i}"]
    (root / "seeds" / "entities.yaml").write_text("\n".join(out) + "\n", encoding="utf-8")
    for i in range(n):
        a, b = people[SHARED_PEOPLE + i], people[i % SHARED_PEOPLE]
        city = cities[i % len(cities)]
        day = 1 + i % 5
        word = WORDS[i % len(WORDS)]
        quote = f"work together on {word} and open a new chapter number {i}"
        first = (f"{person_name[a]}, {post_label[a]}, met {person_name[b]}, {post_label[b]}, "
                 f"in {city_name[city]} on June {day}.")
        second = f"After the talks, the minister said both sides would \"{quote}\"."
        filler = " ".join(f"Officials discussed {rng.choice(WORDS)} and {rng.choice(WORDS)}."
                          for _ in range(3))
        folder = root / "seeds" / f"article-{i:05d}"
        folder.mkdir()
        (folder / "article.txt").write_text(f"{first} {second} {filler}\n", encoding="utf-8")
        ann = f"""article:
  url: https://news.example.org/articles/{i}
  published: 2025-06-{10 + i % 15:02d}
  publisher: {outlets[i % len(outlets)]}
  language: en
  headline: Ministers meet in {city_name[city]}
meetings:
  meeting-{i}:
    name: Meeting of {person_name[a]} and {person_name[b]}
    location: {city}
    date: 2025-06-{day:02d}
    participants:
      - agent: {a}
        role: host
        capacity: post-{a}
      - agent: {b}
        role: visitor
        capacity: post-{b}
    evidence:
      - "{first}"
statements:
  quote-{i}:
    kind: direct-quote
    text: {quote}
    by: {a}
    made-at: meeting-{i}
    evidence:
      - '{second}'
mentions:
  {a}: ["{person_name[a]}, {post_label[a]}"]
  tenure-{a}: ["{person_name[a]}, {post_label[a]}"]
  {b}: ["{person_name[b]}, {post_label[b]}"]
  tenure-{b}: ["{person_name[b]}, {post_label[b]}"]
"""
        (folder / "annotations.yaml").write_text(ann, encoding="utf-8")


def edit_one(root: Path, n: int) -> None:
    """What a curator does between two builds: a sentence added to one article."""
    text = root / "seeds" / f"article-{n // 2:05d}" / "article.txt"
    text.write_text(text.read_text("utf-8").rstrip("\n") + " A correction followed.\n",
                    encoding="utf-8")


# ---------------------------------------------------------------- one run


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def child(project: Path, command: str, whole_register: bool, jobs: int) -> None:
    """One `validate` or `build` in this process; prints its figures as JSON.
    CPU time includes the worker processes' (they have ended when it is read)."""
    from newsgraph.config import load_settings
    from newsgraph.pipeline import build, publish

    write_store = publish._write_store

    def timed_store(*args, **kwargs):  # type: ignore[no-untyped-def]
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return write_store(*args, **kwargs)
        finally:
            spent = build.PHASES.setdefault("store load", [0.0, 0.0])
            spent[0] += time.perf_counter() - wall
            spent[1] += time.process_time() - cpu

    publish._write_store = timed_store
    settings = load_settings(project)
    wall, cpu = time.perf_counter(), time.process_time() + _children_cpu()
    if whole_register:
        status = baseline(settings)
    else:
        status = build.run_build(settings, write=command == "build", echo=lambda _: None,
                                 jobs=jobs)
    phases = {k: list(v) for k, v in build.PHASES.items()}
    if "store load" in phases and "publish" in phases:
        phases["publish"] = [p - s for p, s in zip(phases["publish"], phases["store load"],
                                                   strict=True)]
    counts = {k: len(v) if isinstance(v, list) else v for k, v in build.CACHE_COUNTS.items()}
    print(json.dumps({"status": status, "wall": time.perf_counter() - wall, "cache": counts,
                      "cpu": time.process_time() + _children_cpu() - cpu, "phases": phases,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "worker_rss_mb":
                          resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))


def baseline(settings) -> int:  # type: ignore[no-untyped-def]
    """The earlier algorithm's `validate`, in this process: the whole corpus mapped
    into one dataset, every article validated with the whole register."""
    from newsgraph.pipeline import build
    from newsgraph.pipeline.annotations import load_corpus
    from newsgraph.pipeline.mapping import map_corpus
    from newsgraph.pipeline.validation import load_trusted

    build.PHASES.clear()
    with build.step("reading", None, "read"):
        corpus = load_corpus(settings.seeds)
    with build.step("mapping", None, "map"):
        ds = map_corpus(corpus, settings.base)
    with build.step("validating", None, "validate"):
        trusted = load_trusted(settings)
        found = [f for _, fs in build.validate_corpus_whole_register(ds, corpus, settings,
                                                                     trusted) for f in fs]
    build.CACHE_COUNTS.clear()
    return 1 if any(f.severity == "Violation" for f in found) else 0


def run(project: Path, command: str, whole_register: bool = False, jobs: int = 1) -> dict:
    args = [sys.executable, __file__, "--child", command, "--project", str(project),
            "--jobs", str(jobs)]
    if whole_register:
        args.append("--whole-register")
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{command} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["status"] != 0:
        raise SystemExit(f"{command} found problems in the generated corpus:\n"
                         f"{done.stderr[-3000:]}")
    return result


# ---------------------------------------------------------------- report


def _row(label: str, n: int, r: dict) -> str:
    per = "  ".join(f"{r['phases'].get(p, [0, 0])[1] / n * 1000:8.1f}" for p in PHASES)
    return (f"{label:<18} {n:>6} {r['wall']:8.2f} {r['cpu']:8.2f} {r['rss_mb']:8.0f} "
            f"{r.get('worker_rss_mb', 0):8.0f}  {per}")


def exponent(n1: int, t1: float, n2: int, t2: float) -> float:
    return math.log(t2 / t1) / math.log(n2 / n1) if t1 > 0 and t2 > 0 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--large", action="store_true", help="also N = 10000 (long)")
    parser.add_argument("--baseline-sizes", type=int, nargs="*", default=[10, 100],
                        help="sizes at which the whole-register baseline is timed")
    parser.add_argument("--child", choices=("validate", "build"), help=argparse.SUPPRESS)
    parser.add_argument("--project", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--whole-register", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-validate-run", action="store_true",
                        help="skip the separate `validate` run (its work is the build's too)")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)),
                        help="worker processes of each run (default: the cores)")
    args = parser.parse_args()
    if args.child:
        child(args.project, args.child, args.whole_register, args.jobs)
        return
    sizes = sorted(set(args.sizes + ([10_000] if args.large else [])))
    print(f"jobs: {args.jobs}; cpu s includes the workers'; rss: the main process, the "
          "largest worker")
    print(f"{'run':<18} {'N':>6} {'wall s':>8} {'cpu s':>8} {'rss MB':>8} {'wrk MB':>8}  "
          + "  ".join(f"{p[:8]:>8}" for p in PHASES) + "   (cpu ms per article)")
    results: dict[str, dict[int, dict]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        for n in sizes:
            project = Path(tmp) / f"n{n}"
            generate(project, n)
            todo = [("validate", "validate", False), ("build", "build", False)]
            if args.no_validate_run:
                todo = todo[1:]
            if n in args.baseline_sizes:
                todo.insert(0, ("baseline validate", "validate", True))
            for label, command, old in todo:
                # every run but the rebuild is cold: nothing from an earlier one
                shutil.rmtree(project / CACHE_DIR, ignore_errors=True)
                results.setdefault(label, {})[n] = r = run(project, command, old, args.jobs)
                print(_row(label, n, r), flush=True)
            edit_one(project, n)
            results.setdefault("rebuild", {})[n] = r = run(project, "build", jobs=args.jobs)
            print(_row("rebuild (1 edit)", n, r) + "   mapped {mapped}, validated {validated}"
                  .format(**r["cache"]), flush=True)
    print("\ngrowth exponent of CPU time between sizes (1 = linear, 2 = quadratic)")
    for label, by_n in results.items():
        ns = sorted(by_n)
        for n1, n2 in zip(ns, ns[1:], strict=False):
            total = exponent(n1, by_n[n1]["cpu"], n2, by_n[n2]["cpu"])
            v1 = by_n[n1]["phases"].get("validate", [0, 0])[1]
            v2 = by_n[n2]["phases"].get("validate", [0, 0])[1]
            print(f"  {label:<18} {n1:>6} -> {n2:<6} total {total:5.2f}   "
                  f"validate {exponent(n1, v1, n2, v2):5.2f}")
    print("\nbaseline / this, validation CPU at the same N")
    for n, old in sorted(results.get("baseline validate", {}).items()):
        new = results.get("validate", results["build"])[n]  # the build's, without a validate run
        ratio = old["phases"]["validate"][1] / max(new["phases"]["validate"][1], 1e-9)
        print(f"  N = {n:>6}: {old['phases']['validate'][1]:8.2f} s / "
              f"{new['phases']['validate'][1]:8.2f} s = {ratio:6.2f}x")


if __name__ == "__main__":
    main()
