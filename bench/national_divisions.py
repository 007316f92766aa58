"""Write a synthetic national-size division CSV in the NBS format (≈3,000 districts, ≈41,000 street-level units,
≈105,000 residents' committees plus units like them) for timing `load_divisions`.

    python bench/national_divisions.py /tmp/national.csv
    DATABASE_URL=postgres://... python manage.py load_divisions /tmp/national.csv
"""

import csv
import random
import sys

DISTRICTS, STREETS, COMMUNITIES = 3000, 41352, 105540


def main(path: str) -> None:
    rng = random.Random(7)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["level", "code", "name", "parent_code", "kind"])
        districts = [f"{(11 + n // 990):02d}{(n % 990) // 99 + 1:02d}{n % 99 + 1:02d}" for n in range(DISTRICTS)]
        for code in districts:
            out.writerow(["district", code, f"合成{code}区", code[:2], "区"])
        streets = []
        for n in range(STREETS):
            district = districts[n % DISTRICTS]
            code = f"{district}{n // DISTRICTS + 1:03d}"
            streets.append(code)
            out.writerow(["street", code, f"合成{code}街道", district, "街道" if rng.random() < 0.3 else "镇"])
        for n in range(COMMUNITIES):
            street = streets[n % STREETS]
            code = f"{street}{n // STREETS + 1:03d}"
            out.writerow(["community", code, f"合成{code}社区居委会", street, "居委会"])


if __name__ == "__main__":
    main(sys.argv[1])
