"""Instructions per cold render of a guide page, counted by cachegrind: a figure the
machine's load does not move, where wall-clock times on a busy machine cannot show a
cut of a tenth (bench/README.md, "How it is measured").

    python -m bench.instructions [--slug baclofen] [--languages en,es] [--few 5] [--many 25]

Sets up what `make bench` does for the render (production settings with throwaway
secrets, a Redis server of its own, its database recreated, migrate, collectstatic,
load_guides), then runs, for each language, one process under
`valgrind --tool=cachegrind --cache-sim=no` that calls the guide view `--few` times
and one that calls it `--many` times, each with a fresh request, as bench.inprocess
render does. The difference of the two counts, divided by the difference of the
renders, is the cost of one render: Python's start, Django's setup, the first
query's connection and the templates' compilation cancel out. Only the Python
process is counted (PostgreSQL's side of the queries is not). PYTHONHASHSEED is
fixed, so two runs agree to about 0.1%. Prints a table and the JSON on the last line.
BENCH_DATABASE_URL names the database (its name must start with cardinal_bench;
cardinal_bench_instructions by default).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VALGRIND = ("valgrind", "--tool=cachegrind", "--cache-sim=no")
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/cardinal_bench_instructions"
HOST = "127.0.0.1"


def child(args) -> None:
    """Run under cachegrind: the guide view called args.renders times."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cardinal.settings")
    import django

    django.setup()
    from django.test import RequestFactory
    from django.urls import reverse
    from django.utils import translation

    from education import views

    factory = RequestFactory(HTTP_HOST=HOST)
    with translation.override(args.language):
        path = reverse("education:guide-detail", args=[args.slug])
        for _ in range(args.renders):
            response = views.guide_detail(factory.get(path), slug=args.slug)
            assert response.status_code == 200, response.status_code
        # The page counted is the one visitors get in that language (its translation).
        assert f'<html lang="{args.language}">'.encode() in response.content


def count(env: dict, out: Path, slug: str, language: str, renders: int) -> int:
    """Instructions cachegrind counted in a process rendering the page `renders` times."""
    command = [
        *VALGRIND,
        f"--cachegrind-out-file={out}",
        sys.executable,
        "-m",
        "bench.instructions",
        "child",
        "--slug",
        slug,
        "--language",
        language,
        "--renders",
        str(renders),
    ]
    subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    summary = re.search(r"^summary: (\d+)", out.read_text(), re.MULTILINE)
    assert summary, f"no summary line in {out}"
    return int(summary.group(1))


def measure(args) -> dict:
    from bench.run import recreate_database
    from bench.stack import Stack

    database = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    work = Path(tempfile.mkdtemp(prefix="cardinal-instructions-"))
    recreate_database(database)
    stack = Stack(work, database)
    results = {"slug": args.slug, "few": args.few, "many": args.many, "languages": {}}
    try:
        stack.start_redis()
        stack.manage("migrate", "--noinput", "-v0")
        stack.manage("collectstatic", "--noinput", "-v0")
        stack.manage("load_guides", "-v0")
        env = {**stack.env, "PYTHONHASHSEED": "0"}
        for language in args.languages:
            started = time.monotonic()
            few = count(env, work / f"{language}-few.out", args.slug, language, args.few)
            many = count(env, work / f"{language}-many.out", args.slug, language, args.many)
            per_render = (many - few) / (args.many - args.few)
            results["languages"][language] = {
                "instructions_few": few,
                "instructions_many": many,
                "instructions_per_render": round(per_render),
                "seconds": round(time.monotonic() - started, 1),
            }
    finally:
        stack.stop()
    renders = f"{args.many} renders less {args.few}"
    print(f"Instructions per cold render of the {args.slug} guide (cachegrind, {renders})")
    for language, figures in results["languages"].items():
        millions = figures["instructions_per_render"] / 1e6
        print(f"  {language}: {millions:.1f} M")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command")
    child_parser = commands.add_parser("child", help="(run under cachegrind by the bench)")
    child_parser.add_argument("--slug", required=True)
    child_parser.add_argument("--language", required=True)
    child_parser.add_argument("--renders", type=int, required=True)
    parser.add_argument("--slug", default="baclofen")
    parser.add_argument(
        "--languages", type=lambda text: text.split(","), default=["en", "es"], help="en,es"
    )
    parser.add_argument("--few", type=int, default=5)
    parser.add_argument("--many", type=int, default=25)
    args = parser.parse_args()
    if args.command == "child":
        child(args)
        return
    if args.many <= args.few:
        parser.error("--many must be more than --few")
    print(json.dumps(measure(args)))


if __name__ == "__main__":
    main()
