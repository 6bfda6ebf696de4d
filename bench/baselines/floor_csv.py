"""The floor of bench/scoring.py: read a bundle's bytes and parse every CSV file with the csv
module, keeping the rows; no product code. Run as a process: ``python floor_csv.py BUNDLE``."""

import csv
import io
import sys
from pathlib import Path


def main(folder: str) -> int:
    cells = 0
    tables = {}
    for path in sorted(Path(folder).iterdir()):
        if path.suffix != ".csv":
            continue
        text = path.read_bytes().decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        tables[path.name] = rows
        cells += sum(map(len, rows))
    print(f"{len(tables)} files, {cells} cells")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
