"""How far to trust a verdict, for each kind of input, read from the model card's measurements.

The Detect pages show this beside every verdict. Nothing here is typed in: every figure comes from
``models/model_card.json`` (written by ``python -m core.training.model_card`` from measured results), and a
kind of input the card has no measurement for is simply not listed.
"""

from __future__ import annotations

from dataclasses import dataclass

# What the score means is said once, beside the score (core.engine.verdict.SCORE_MEANING); the panel adds why
# it is not a probability.
NOT_A_PROBABILITY = (
    "How likely a face is to be fake depends on the kind of fake — below, how this detector did on each kind it "
    "was measured on — and on how many fakes there are where the picture came from."
)

LEVELS = {  # AUC from … → plain reading; ordered from best to worst
    "good": (0.90, "good"),
    "fair": (0.75, "fair"),
    "weak": (0.60, "weak"),
    "guessing": (0.45, "close to guessing"),
    "inverted": (0.0, "worse than guessing: it scores these fakes as more real than real faces"),
}


WIDE_INTERVAL = 0.10  # an AUC's 95% interval at least this wide is worth a sentence beside it


@dataclass(frozen=True)
class TrustLine:
    """One kind of input and how the detector did on it.

    kind: what the input is, in plain words; figure: the measurement in words ("tells the fake from the real
    face in 74 of 100 pairs"); level: a key of :data:`LEVELS`; value: the number behind it (AUC or a rate).
    """

    kind: str
    figure: str
    level: str
    value: float


def auc_level(auc: float) -> str:
    """The :data:`LEVELS` key for an AUC."""
    for key, (floor, _) in LEVELS.items():
        if auc >= floor:
            return key
    return "inverted"


def _pairs(auc: float) -> str:
    return f"picks the fake over the real face in {round(100 * auc)} of 100 pairs (50 = a coin toss)"


def trust_lines(card: dict | None) -> list[TrustLine]:
    """Every measured kind of input in the card: each family of fake, tight crops of real faces, small faces."""
    if not card:
        return []
    lines: list[TrustLine] = []
    for name, fam in (card.get("families") or {}).items():
        auc = fam.get("auc")
        if auc is None:
            continue
        figure = f"{_pairs(auc)}; measured on {fam.get('n', 0)} items"
        ci = fam.get("auc_ci95")
        if ci and ci[1] - ci[0] >= WIDE_INTERVAL:  # few items: say how far chance alone could move the figure
            figure += f", so the true figure is likely between {round(100 * ci[0])} and {round(100 * ci[1])}"
        lines.append(TrustLine(name, figure, auc_level(auc), auc))
    for name, fam in (card.get("families") or {}).items():
        fpr, n_real = fam.get("fpr"), fam.get("n_real") or 0
        if fpr is not None and n_real >= 100 and "crops" in name.lower():
            lines.append(TrustLine(f"real faces cropped tightly ({name})",
                                   f"{fpr:.0%} of {n_real} real faces read as *likely manipulated*",
                                   "weak" if fpr > 0.10 else "fair", fpr))
    fair = card.get("fairness_utkface")
    if fair and fair.get("fpr_overall") is not None:
        lines.append(TrustLine("real faces of different ages, genders and skin tones (UTKFace)",
                               f"{fair['fpr_overall']:.1%} of {fair.get('n', 0)} real faces read as *likely manipulated*",
                               "fair" if fair["fpr_overall"] <= 0.10 else "weak", fair["fpr_overall"]))
    small = (card.get("heldout_conditions") or {}).get("face 35 px wide")
    if small:
        lines.append(TrustLine("small faces (about 35 px wide) in self-blended test fakes", _pairs(small["auc"]),
                               auc_level(small["auc"]), small["auc"]))
    return lines


def worst_first(lines: list[TrustLine]) -> list[TrustLine]:
    """Lines ordered from the least to the most trustworthy (what a reader must see first)."""
    order = {key: i for i, key in enumerate(reversed(list(LEVELS)))}
    return sorted(lines, key=lambda line: order.get(line.level, 0))
