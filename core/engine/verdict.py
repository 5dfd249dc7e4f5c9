"""The detector's three verdict bands and the words and colours that go with them, in one place.

A :class:`Verdict` is a ``str`` (its label), so records, CSV and JSON reports keep the plain label text.
Where a band starts comes from the loaded checkpoint's thresholds (:class:`core.engine.detector.DetectorMeta`),
never from constants here.
"""

from __future__ import annotations

from enum import StrEnum

# What the number means, said once wherever a score is shown (claims about how good the detector is come
# from models/model_card.json, not from here).
SCORE_MEANING = (
    "The **fake score** (0–100) says how strongly this detector sees the traces of a face pasted and blended "
    "into a photo, the kind of evidence it was trained on. It is not the chance that the face is fake."
)


class Verdict(StrEnum):
    """One of the detector's bands: ``label`` (the text shown), ``colour`` (RGB, Okabe–Ito, colour-blind safe),
    ``mark`` (Streamlit's colour name for markdown badges) and ``reading`` (what it does and does not mean)."""

    REAL = "likely real"
    UNCERTAIN = "uncertain"
    MANIPULATED = "likely manipulated"

    @property
    def label(self) -> str:
        return self.value

    @property
    def colour(self) -> tuple[int, int, int]:
        return _COLOURS[self]

    @property
    def mark(self) -> str:
        return _MARKS[self]

    @property
    def reading(self) -> str:
        return _READINGS[self]

    @property
    def icon(self) -> str:
        """A Streamlit Material icon (``:material/...:``) shown with the label, so no verdict is told by colour
        alone."""
        return _ICONS[self]

    def css(self, alpha: float = 1.0) -> str:
        """The colour as a CSS/plotly ``rgba(...)`` string."""
        r, g, b = self.colour
        return f"rgba({r},{g},{b},{alpha})"

    @classmethod
    def of(cls, score: float, real_below: float, manipulated_from: float) -> "Verdict":
        """The band a fake score in [0, 1] falls in, given a checkpoint's two thresholds."""
        if score >= manipulated_from:
            return cls.MANIPULATED
        if score < real_below:
            return cls.REAL
        return cls.UNCERTAIN


_COLOURS = {
    Verdict.REAL: (0, 114, 178),  # blue
    Verdict.UNCERTAIN: (230, 159, 0),  # orange
    Verdict.MANIPULATED: (213, 94, 0),  # vermillion
}
_ICONS = {Verdict.REAL: ":material/check_circle:", Verdict.UNCERTAIN: ":material/help:",
          Verdict.MANIPULATED: ":material/warning:"}
_MARKS = {Verdict.REAL: "blue", Verdict.UNCERTAIN: "orange", Verdict.MANIPULATED: "red"}
_READINGS = {
    Verdict.REAL: ("The detector found little of the blending evidence it was trained to notice. That is **not proof** "
                   "the face is genuine: a kind of manipulation it never saw in training, or a heavily compressed "
                   "picture, can pass unnoticed."),
    Verdict.UNCERTAIN: ("The score sits between the model's two thresholds: the detector cannot tell. Look for other "
                        "evidence — where the picture came from, other copies of it, whether the story makes sense."),
    Verdict.MANIPULATED: ("The detector found patterns it associates with a face pasted and blended into a photo. "
                          "Detectors make mistakes: strong filters, beauty apps, heavy compression or unusual light "
                          "can trigger it too. Treat this as a reason to check the source, not as proof of a fake."),
}


def score_points(score: float) -> str:
    """A fake score in [0, 1] as the 0–100 number the lab shows, e.g. ``"73"``."""
    return f"{100 * score:.0f}"
