"""The import benchmark: `smgov import` of a generated spreadsheet of accounts vs the reader
alone reading the same file (target: the import within 3x the reader).

    .venv/bin/python bench/import_bench.py                 # 100,000 rows, CSV and XLSX
    .venv/bin/python bench/import_bench.py --rows 1000     # a quick look

The rows are dirty the way real lists are (platform spellings, twitter.com and x.com,
handles only in URLs, dates in several formats, departments in two languages, duplicates,
closed platforms), so the import does all of its work. Measured in one run, each in this
process after one unmeasured warm-up, the median of ``--repeat`` runs:
  library  the parsing library alone: ``csv.reader`` over the decoded text (CSV),
           python-calamine's ``to_python`` (XLSX): the floor;
  reader   the import's reader alone (``engine.inputs.importers.readers.read``): the library
           plus what makes its rows a table (delimiter sniffing, header checks, blank rows
           left out, spreadsheet cells as text and dates);
  import   ``engine.inputs.importers.document.run`` + rendering the JSON inventory and the
           JSON report: everything ``smgov import -o FILE --report FILE`` does but the write.
The target is on import / reader; import / library is printed beside it. A second line
splits the import (one more stepwise run, medians): the reader, the rows (``Importer.add``:
every row normalised, its notes made), the check of the result as an inventory, the JSON
inventory and the JSON report, and what the import / reader ratio would be without the rows:
the floor the per-row work stands on.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.inputs.importers import document, readers  # noqa: E402
from engine.inputs.importers.accounts import Importer  # noqa: E402
from engine.inputs.importers.mapping import load as load_mapping  # noqa: E402
from engine.inputs.importers.report import ImportReport  # noqa: E402
from engine.inputs.platforms import catalogue  # noqa: E402

TARGET = 3.0
HEADER = ["Platform", "Handle", "URL", "Department", "Owner", "MFA", "Status", "Created", "Language", "Contact email"]
PLATFORMS = [
    ("X", "https://twitter.com/{h}"),
    ("twitter", "https://x.com/{h}"),
    ("YouTube", "https://www.youtube.com/@{h}"),
    ("Youtube", "https://youtube.com/user/{h}"),
    ("facebook", "https://fb.com/{h}/"),
    ("Instagram", "https://www.instagram.com/{h}"),
    ("LinkedIn", "https://ca.linkedin.com/company/{h}"),
    ("TikTok", "https://www.tiktok.com/@{h}"),
    ("Google+", "https://plus.google.com/+{h}"),
    ("Intagram", ""),
]
DEPARTMENTS = ["Communications", "Marketing", "Human resources", "Ressources humaines", "Customer care", "IT"]
STATUSES = ["active", "Active", "live", "dormant", "", "retired"]
LANGUAGES = ["English", "Français", "Bilingual", "en", ""]


def rows(count: int, seed: int = 7) -> list[list[str]]:
    """``count`` dirty rows (about 1 in 50 a duplicate of an earlier one)."""
    rng = random.Random(seed)
    out: list[list[str]] = []
    for n in range(count):
        if out and rng.random() < 0.02:
            out.append(list(out[rng.randrange(len(out))]))
            continue
        platform, url = PLATFORMS[n % len(PLATFORMS)]
        handle = f"acct{n}"
        in_url = bool(url) and rng.random() < 0.6
        day = f"{1 + n % 28:02d}"
        month = f"{1 + n % 12:02d}"
        created = rng.choice([f"2020-{month}-{day}", f"{day}/{month}/2019", f"{int(day)} March 2021", ""])
        out.append(
            [
                platform,
                "" if in_url else f"@{handle}",
                url.format(h=handle) if url else "",
                rng.choice(DEPARTMENTS),
                f"owner{n % 997}",
                rng.choice(["yes", "no", "Y", "", "oui"]),
                rng.choice(STATUSES),
                created,
                rng.choice(LANGUAGES),
                f"team{n % 50}@example.org",
            ]
        )
    return out


def write_csv(path: Path, data: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(data)


def write_xlsx(path: Path, data: list[list[str]]) -> None:
    import xlsxwriter  # the bench's writer only (the test extra); smgov never writes spreadsheets

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_urls": False})
    sheet = book.add_worksheet("Accounts")
    sheet.write_row(0, 0, HEADER)
    for r, row in enumerate(data, 1):
        sheet.write_row(r, 0, row)
    book.close()


def read_csv(path: Path) -> int:
    return sum(1 for _ in csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def read_xlsx(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    return len(book.get_sheet_by_index(0).to_python(skip_empty_area=False))


def read_table(path: Path) -> int:
    return len(readers.read(path).rows) + 1


def run_import(path: Path) -> int:
    imported = document.run([str(path)], "generic-accounts")
    document.render(imported.document)
    imported.report.to_json()
    return len(imported.document["accounts"])


def steps(path: Path) -> dict[str, float]:
    """One import step by step (what ``run_import`` does), each step's seconds."""
    times: dict[str, float] = {}
    start = time.perf_counter()
    table = readers.read(path)
    times["reader"], start = time.perf_counter() - start, time.perf_counter()
    mapping = load_mapping("generic-accounts")
    importer = Importer(mapping, catalogue(), ImportReport(mapping.name))
    importer.add(table, readers.kind_of(path))
    importer.report.accounts = len(importer.state.accounts)
    times["rows"], start = time.perf_counter() - start, time.perf_counter()
    inventory = document._document(mapping, importer, None)
    document._check(inventory, importer)
    times["check"], start = time.perf_counter() - start, time.perf_counter()
    document.render(inventory)
    times["inventory JSON"], start = time.perf_counter() - start, time.perf_counter()
    importer.report.to_json()
    times["report JSON"] = time.perf_counter() - start
    return times


def median_time(action: Callable[[], int], repeat: int) -> tuple[float, int]:
    """The median seconds of ``repeat`` runs after a warm-up, and the last run's result."""
    action()  # warm-up: imports, caches
    times, result = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--formats", default="csv,xlsx", help="comma-separated: csv, xlsx")
    args = parser.parse_args(argv)
    data = rows(args.rows)
    worst = 0.0
    print(f"smgov import of {args.rows:,} generated rows (median of {args.repeat}); target: import <= {TARGET}x")
    with tempfile.TemporaryDirectory() as work:
        for fmt in args.formats.split(","):
            path = Path(work) / f"accounts.{fmt}"
            (write_csv if fmt == "csv" else write_xlsx)(path, data)
            library = read_csv if fmt == "csv" else read_xlsx
            library_s, read_rows = median_time(lambda r=library, p=path: r(p), args.repeat)
            read_s, _ = median_time(lambda p=path: read_table(p), args.repeat)
            import_s, accounts = median_time(lambda p=path: run_import(p), args.repeat)
            runs = [steps(path) for _ in range(args.repeat)]
            parts = {name: statistics.median(run[name] for run in runs) for name in runs[0]}
            ratio = import_s / read_s
            worst = max(worst, ratio)
            size = path.stat().st_size / 1e6
            print(
                f"{fmt:>4}: {size:5.1f} MB, {read_rows - 1:,} rows -> {accounts:,} accounts"
                f" | library {library_s:7.3f} s"
                f" | reader {read_s:7.3f} s | import {import_s:7.3f} s | ratio {ratio:5.2f}x"
                f" {'ok' if ratio <= TARGET else 'OVER TARGET'} (import/library {import_s / library_s:5.2f}x)"
            )
            floor = sum(t for name, t in parts.items() if name != "rows") / parts["reader"]
            print(
                "      import = "
                + " + ".join(f"{name} {t:.3f}" for name, t in parts.items())
                + f" s; without the rows: {floor:.2f}x the reader"
            )
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
