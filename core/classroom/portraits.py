"""The quiz's portraits: public-domain official portraits of different adults, kept small in ``assets/portraits/``.

Two parts:

* **At run time** the gallery calls :func:`load_portraits`, which reads ``assets/portraits/portraits.csv``: an
  anonymous key per photo (``portrait-07``), its file, its source (official portrait of a member of the US
  Congress, or NASA astronaut portrait) and three coarse, *apparent* attributes used only to balance the quiz
  (gender, age band, skin tone). It never reads a person's name: names live only in ``ATTRIBUTION.csv`` /
  ``ATTRIBUTION.md``, the legal record of where each photo came from, which no page shows.
* **Once, by a maintainer** with the source set (``../shared/data/portraits``, described in its README and
  ``SOURCES.csv``): ``python -m core.classroom.portraits --source ../shared/data/portraits --out assets/portraits``
  picks a varied set (:func:`select`), writes each photo as a small JPEG (longest side 400 px, quality 85, no
  metadata) and writes the attribution files from ``SOURCES.csv``.

Apparent gender and age band come from ``SOURCES.csv`` (judged by eye by whoever assembled the set). Skin tone
is not recorded there: :data:`SKIN_TONE_BY_EYE` holds a coarse light / medium / deep judgement made by eye
from each photo, for balancing only. None of these is a fact about the person.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from core.config import ROOT

PORTRAITS_DIR = ROOT / "assets" / "portraits"
TABLE = "portraits.csv"
ATTRIBUTION_CSV = "ATTRIBUTION.csv"
ATTRIBUTION_MD = "ATTRIBUTION.md"
LONGEST_SIDE = 400
JPEG_QUALITY = 85
DEFAULT_COUNT = 24
SEED = 20261203
SOURCE_WORDS = {"congress": "official portrait", "nasa": "astronaut portrait"}
AGE_WEIGHTS = {"20-34": 2, "35-49": 4, "50-64": 3, "65+": 3}  # of every 12 people of one apparent gender
TONES = ("light", "medium", "deep")

#: Apparent skin tone, judged by eye from each photo of the source set (coarse; lighting shifts it).
SKIN_TONE_BY_EYE = {
    "congress_A000370": "medium", "congress_B001281": "medium", "congress_B001313": "deep", "congress_C001067": "deep",
    "congress_H001081": "deep", "congress_M001160": "deep", "congress_N000147": "medium", "congress_S001185": "deep",
    "congress_S001223": "deep", "congress_M001227": "medium", "congress_K000400": "medium", "congress_W000822": "medium",
    "congress_C001080": "light", "congress_M001163": "light", "congress_M001188": "light", "congress_K000397": "light",
    "congress_T000487": "medium", "congress_R000600": "medium", "congress_D000594": "medium", "congress_E000299": "medium",
    "congress_L000273": "light", "congress_R000617": "medium", "congress_S001156": "light", "congress_T000474": "medium",
    "congress_C001039": "light", "congress_G000600": "light", "congress_J000305": "light", "congress_F000468": "light",
    "congress_B000740": "light", "congress_P000620": "light", "congress_S001218": "light", "congress_B001315": "light",
    "congress_S001221": "light", "congress_F000470": "light", "congress_H001094": "light", "congress_B001278": "light",
    "congress_K000399": "light", "congress_D000216": "light", "congress_F000450": "light", "congress_K000009": "light",
    "congress_B001285": "light", "congress_T000468": "light", "congress_A000380": "deep", "congress_B000490": "medium",
    "congress_C001061": "medium", "congress_C001072": "medium", "congress_C001125": "deep", "congress_D000096": "deep",
    "congress_D000230": "deep", "congress_I000058": "medium", "congress_V000131": "medium", "congress_F000476": "medium",
    "congress_B001287": "medium", "congress_T000488": "medium", "congress_L000582": "light", "congress_T000472": "light",
    "congress_C001131": "medium", "congress_C001133": "light", "congress_G000598": "medium", "congress_R000599": "medium",
    "congress_V000130": "medium", "congress_V000136": "medium", "congress_P000145": "medium", "congress_H000273": "light",
    "congress_N000189": "light", "congress_B001314": "light", "congress_L000603": "light", "congress_B001296": "light",
    "congress_E000071": "light", "congress_D000530": "light", "congress_D000399": "light", "congress_C001068": "light",
    "congress_S001198": "light", "congress_H001068": "light", "congress_H001090": "light", "nasa_anne-mcclain": "light",
    "nasa_catherine-coleman": "light", "nasa_kathryn-hire": "light", "nasa_nicole-stott": "light",
    "nasa_leland-melvin": "deep", "nasa_nick-hague": "light", "nasa_andrew-morgan": "light",
    "nasa_jack-fischer": "light", "nasa_oleg-artemyev": "light", "nasa_oleg-novitskiy": "light",
    "nasa_thomas-pesquet": "light",
}


@dataclass(frozen=True)
class Portrait:
    """One committed portrait. key: anonymous id (``portrait-07``); path: the JPEG; source: "congress" or
    "nasa"; gender ("F"/"M"), age_band, skin_tone: apparent, coarse, for balancing only."""

    key: str
    path: Path
    source: str
    gender: str
    age_band: str
    skin_tone: str

    @property
    def description(self) -> str:
        """What the photo is, in words a quiz may show (never who)."""
        return SOURCE_WORDS.get(self.source, "portrait")


def load_portraits(folder: Path | None = None) -> list[Portrait]:
    """The committed portraits (no names), in key order; [] when the folder or its table is missing."""
    folder = Path(folder or PORTRAITS_DIR)
    try:
        with open(folder / TABLE, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError:
        return []
    out = [Portrait(key=r["key"], path=folder / r["file"], source=r["source"], gender=r["apparent_gender"],
                    age_band=r["age_band"], skin_tone=r["apparent_skin_tone"]) for r in rows]
    return sorted((p for p in out if p.path.is_file()), key=lambda p: p.key)


# ---------------------------------------------------------------------------------------------------------------
# Curation (maintainers only; needs the source set)


def _source_of(row: dict) -> str:
    return "nasa" if row["file"].startswith("nasa_") else "congress"


def _quotas(per_gender: int) -> dict[str, int]:
    total = sum(AGE_WEIGHTS.values())
    q = {band: round(per_gender * w / total) for band, w in AGE_WEIGHTS.items()}
    q["35-49"] += per_gender - sum(q.values())  # rounding leftovers go to the largest band
    return q


def _tone(row: dict) -> str:
    return SKIN_TONE_BY_EYE[Path(row["file"]).stem]


def _greedy(candidates: list[dict], ages: dict[str, int], tones: dict[str, int], nasa_min: int,
            per: int) -> list[dict]:
    """Repeatedly take the candidate that fills the most unmet quotas (the first of equals wins)."""
    mine: list[dict] = []
    candidates = list(candidates)
    while len(mine) < per and candidates:
        def gain(r: dict) -> float:
            age_left = ages.get(r["age_band"], 0) - sum(m["age_band"] == r["age_band"] for m in mine)
            tone_left = tones[_tone(r)] - sum(_tone(m) == _tone(r) for m in mine)
            nasa_left = nasa_min - sum(_source_of(m) == "nasa" for m in mine)
            return 2.0 * (age_left > 0) + 2.0 * (tone_left > 0) + 1.5 * (nasa_left > 0 and _source_of(r) == "nasa")

        best = max(candidates, key=gain)
        mine.append(best)
        candidates.remove(best)
    return mine


def _miss(mine: list[dict], ages: dict[str, int], tones: dict[str, int], nasa_min: int) -> int:
    """How far a choice is from its quotas (0 = every quota met exactly)."""
    return (sum(abs(q - sum(m["age_band"] == band for m in mine)) for band, q in ages.items())
            + sum(abs(q - sum(_tone(m) == t for m in mine)) for t, q in tones.items())
            + max(0, nasa_min - sum(_source_of(m) == "nasa" for m in mine)))


def select(rows: list[dict], n: int = DEFAULT_COUNT, seed: int = SEED, tries: int = 200) -> list[dict]:
    """``n`` rows of SOURCES.csv, half of each apparent gender, spread over age bands (:data:`AGE_WEIGHTS`), skin
    tones (a third each where the set allows) and both sources (at least a sixth of each gender from NASA).

    A greedy fill (take the photo that meets the most unmet quotas) from ``tries`` seeded shuffles of the set;
    the choice closest to the quotas wins, so it is reproducible. Rows without a skin-tone judgement are skipped.
    """
    pool = [r for r in rows if Path(r["file"]).stem in SKIN_TONE_BY_EYE]
    chosen: list[dict] = []
    for gender, per in (("F", n - n // 2), ("M", n // 2)):
        ages = _quotas(per)
        tones = {t: per // len(TONES) + (i < per % len(TONES)) for i, t in enumerate(TONES)}
        nasa_min = max(1, per // 6)
        candidates = [r for r in pool if r["apparent_gender"] == gender]
        best: list[dict] | None = None
        for k in range(tries):
            order = list(candidates)
            random.Random(seed + k).shuffle(order)
            mine = _greedy(order, ages, tones, nasa_min, per)
            if best is None or _miss(mine, ages, tones, nasa_min) < _miss(best, ages, tones, nasa_min):
                best = mine
        chosen += best or []
    return chosen


def _small_jpeg(path: Path) -> bytes:
    """The photo with its longest side at most LONGEST_SIDE px, as a JPEG without any metadata."""
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im).convert("RGB")
        im.thumbnail((LONGEST_SIDE, LONGEST_SIDE), Image.Resampling.LANCZOS)
        clean = Image.new("RGB", im.size)
        clean.paste(im)  # a fresh image carries no EXIF, ICC profile or comments
        buf = io.BytesIO()
        clean.save(buf, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return buf.getvalue()


_MD_HEAD = """# Quiz portraits: attribution and licence record

These {n} photographs are the built-in pictures of the **Spot the fake** quiz. Each is a photograph made by a
US federal government employee as part of their job, and so in the public domain in the United States:
{n_congress} official portraits of members of the US Congress and {n_nasa} NASA Johnson Space Center astronaut
portraits. They were chosen from a larger set of 86 by `python -m core.classroom.portraits`, resized so the
longest side is {side} px and saved as JPEG quality {quality} with no metadata; nothing else was changed.

**This file is a legal record.** It names the people shown so that anyone can check where each photo came from.
The lab itself never shows a name: the quiz calls each photo only an "official portrait" or an "astronaut
portrait", and face swaps "between two different people".

## Sources and licence evidence

- **Congressional portraits** (`congress`): from `civicsense2025/civic-sense-main`, commit
  `e24da4c8765482084fb031ba7670ae125c17577e`, files `public/images/congress/118/<bioguide>/original.jpg`, which
  that project downloaded unchanged from `https://unitedstates.github.io/images/congress/…` (the
  `unitedstates/images` project). Its README: "The photos of members of Congress are from the Government
  Printing Office, which has assured us that all photos are public domain." (This statement is second-hand:
  it is `unitedstates/images` reporting what the GPO told it.)
- **NASA astronaut portraits** (`nasa`): from `kling109/ISS-Archaeology`, commit
  `3e2dd59a10d171ff669a56e0a9a7aa2fd128b416`, files `Data/Portraits/<name>&<country>.jpg`, cropped around the
  face (4:5) before resizing. Each file's embedded credit names a NASA JSC photographer (quoted per file
  below). NASA's media guidelines: NASA material "generally [is] not subject to copyright in the United
  States"; NASA adds conditions on using identifiable people and implying endorsement, which are not
  copyright: the lab uses these photos to teach, never to imply that anyone endorses it.

## Balance, and how it was judged

Apparent gender and age band come from the source set's `SOURCES.csv` (judged by eye when it was assembled).
Skin tone is not recorded there; it was **checked by eye** from each photo and noted coarsely (light, medium,
deep) in `core/classroom/portraits.py` only to balance the set. None of these labels is a fact about a
person. This set: {balance}.

## Consent

These are real, identifiable adults. Their photos are public domain, but none of them agreed to have their
face swapped. The lab makes its fakes of them in memory only (never written to disk), never names them,
labels and signs every fake a learner can download, and lets a teacher run the quiz with no identity swaps
(real photos and self-blends only). Say so in class: it is itself a lesson in consent.

## The photos

| file | source | shown person | original file (repository @ commit: path) |
|---|---|---|---|
"""


def _balance_text(rows: list[dict]) -> str:
    from collections import Counter

    g = Counter(r["apparent_gender"] for r in rows)
    a = Counter(r["age_band"] for r in rows)
    t = Counter(r["apparent_skin_tone"] for r in rows)
    s = Counter(r["source"] for r in rows)
    return (f"{g['F']} female, {g['M']} male (apparent); ages " + ", ".join(f"{k}: {a[k]}" for k in AGE_WEIGHTS)
            + "; skin tone " + ", ".join(f"{k}: {t[k]}" for k in TONES)
            + f"; {s['congress']} congressional, {s['nasa']} NASA")


def curate(source: Path, out: Path, n: int = DEFAULT_COUNT, seed: int = SEED) -> list[dict]:
    """Select ``n`` portraits from ``source`` (a folder with SOURCES.csv) and write them and their records to ``out``."""
    with open(source / "SOURCES.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    picked = sorted(select(rows, n, seed), key=lambda r: r["file"])
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("portrait-*.jpg"):
        old.unlink()
    records = []
    for i, r in enumerate(picked, 1):
        key = f"portrait-{i:02d}"
        (out / f"{key}.jpg").write_bytes(_small_jpeg(source / r["file"]))
        records.append({"key": key, "file": f"{key}.jpg", "source": _source_of(r),
                        "apparent_gender": r["apparent_gender"], "age_band": r["age_band"],
                        "apparent_skin_tone": SKIN_TONE_BY_EYE[Path(r["file"]).stem], "row": r})
    public = ["key", "file", "source", "apparent_gender", "age_band", "apparent_skin_tone"]
    with open(out / TABLE, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=public, lineterminator="\n")
        w.writeheader()
        for rec in records:
            w.writerow({k: rec[k] for k in public})
    legal = ["file", "source_file", "repo", "commit", "original_path", "person_name", "licence_statement"]
    with open(out / ATTRIBUTION_CSV, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=legal, lineterminator="\n")
        w.writeheader()
        for rec in records:
            r = rec["row"]
            w.writerow({"file": rec["file"], "source_file": r["file"], "repo": r["repo"], "commit": r["commit"],
                        "original_path": r["original_path"], "person_name": r["person_name"],
                        "licence_statement": r["licence_statement"]})
    n_nasa = sum(rec["source"] == "nasa" for rec in records)
    md = _MD_HEAD.format(n=len(records), n_congress=len(records) - n_nasa, n_nasa=n_nasa, side=LONGEST_SIDE,
                         quality=JPEG_QUALITY, balance=_balance_text(records))
    for rec in records:
        r = rec["row"]
        md += (f"| `{rec['file']}` | {rec['source']} | {r['person_name']} | `{r['repo']}` @ `{r['commit'][:12]}`: "
               f"`{r['original_path']}` |\n")
    md += "\nThe exact licence statement for each file is in `ATTRIBUTION.csv` (column `licence_statement`).\n"
    (out / ATTRIBUTION_MD).write_text(md, encoding="utf-8")
    return records


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "data" / "portraits",
                   help="the source set: a folder with SOURCES.csv and the photos")
    p.add_argument("--out", type=Path, default=PORTRAITS_DIR)
    p.add_argument("--n", type=int, default=DEFAULT_COUNT, help="how many portraits (half of each gender)")
    p.add_argument("--seed", type=int, default=SEED)
    args = p.parse_args(argv)
    if not (args.source / "SOURCES.csv").is_file():
        print(f"No SOURCES.csv in {args.source}", file=sys.stderr)
        return 2
    records = curate(args.source, args.out, args.n, args.seed)
    print(f"{len(records)} portraits written to {args.out}: {_balance_text(records)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
