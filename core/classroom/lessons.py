"""Lessons and tracks: load and validate the Markdown files in ``lessons/``, fill in the detector's measured
figures from the model card, and render a printable, self-contained HTML handout per track.

A lesson is ``lessons/NN-name.md``: YAML front matter (title, minutes, audience, summary, objectives, lab,
optional preset, tracks, questions, sources) then a Markdown body. A track is ``lessons/tracks/name.md``:
front matter (title, minutes, audience, summary, show, sessions → lessons with minutes) then the facilitator
notes. Placeholders in lesson bodies:

- ``{{card.KEY}}`` / ``{{card.families_table}}`` / ``{{card.summary}}`` / ``{{card.heldout_table}}`` /
  ``{{card.samples_table}}``: figures from ``models/model_card.json``; ``{{card.score:KEY}}`` shows a 0–1 value
  as a fake score out of 100 and ``{{card.pct:KEY}}`` as a percentage;
- ``{{figure.selfblend}}``: an illustration the lab makes itself (a self-blended fake of a sample face).

Links between lessons are ordinary Markdown links to the other lesson's file name: ``[text](06-explain.md)``;
``[AUC](glossary.md#auc)`` links a term of ``lessons/glossary.md`` (``## Term`` sections).
Check-question options are shown in an order shuffled per learner (:func:`option_order`), stable for one seed.
UI-free: the Lessons page and the tests both use this module.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import yaml

from core.config import ROOT

LESSONS_DIR = ROOT / "lessons"
TRACKS_DIR = LESSONS_DIR / "tracks"
MODEL_CARD_PATH = ROOT / "models" / "model_card.json"
GLOSSARY_NAME = "glossary.md"  # in LESSONS_DIR; not a lesson
NOT_LESSONS = ("README.md", GLOSSARY_NAME)
SAMPLE_NAMES = ("grace_hopper", "astronaut")  # core.engine.faces.SAMPLES, listed here so loading needs no torch
SAMPLE_TITLES = {"grace_hopper": "Grace Hopper", "astronaut": "Eileen Collins"}  # as the pages name them


def sample_title(preset: str) -> str:
    """The name the pages give a built-in sample: ``astronaut`` → ``Eileen Collins``."""
    return SAMPLE_TITLES.get(preset, preset.replace("_", " ").title())
MISSING_CARD = "(measured figures appear here once the model card is generated)"
MISSING_KEY = "(not in the model card yet)"

_CARD_RE = re.compile(r"\{\{\s*card\.(?:(score|pct):)?([A-Za-z0-9_.\- ]+?)\s*\}\}")
_FIGURE_RE = re.compile(r"\{\{\s*figure\.([A-Za-z0-9_]+)\s*\}\}")
_LINK_RE = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_FRONT_RE = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.S)


from core.errors import LessonError  # noqa: E402,F401  (defined with the lab's other errors; raised here)


@dataclass(frozen=True)
class Question:
    """A multiple-choice check question; ``correct`` indexes ``options``."""

    prompt: str
    options: tuple[str, ...]
    correct: int
    explanation: str


@dataclass(frozen=True)
class Lesson:
    """One lesson. ``body`` is raw Markdown with placeholders; ``preset`` is the built-in sample the
    main ``lab`` opens with (see :func:`preset_key`); ``more_labs`` open on their own defaults."""

    id: str
    title: str
    minutes: int
    audience: tuple[str, ...]
    summary: str
    objectives: tuple[str, ...]
    lab: str
    lab_title: str
    more_labs: tuple[str, ...]
    preset: str | None
    tracks: tuple[str, ...]
    questions: tuple[Question, ...]
    sources: tuple[str, ...]
    body: str
    path: Path


@dataclass(frozen=True)
class TrackItem:
    lesson: str
    minutes: int


@dataclass(frozen=True)
class Session:
    """Part of a track. ``exit_ticket`` is the one open question learners answer at its end; an
    ``optional`` session (an extension) does not count towards the track's minutes."""

    title: str
    minutes: int
    items: tuple[TrackItem, ...]
    exit_ticket: str = ""
    optional: bool = False


@dataclass(frozen=True)
class Track:
    """A teaching route through the lessons. ``show`` is "full" (whole lessons) or "summary" (key idea,
    first question and the lab only: the quick demo). ``notes`` is the facilitator's Markdown."""

    id: str
    title: str
    minutes: int
    audience: str
    summary: str
    show: str
    sessions: tuple[Session, ...]
    notes: str
    path: Path

    @property
    def lesson_ids(self) -> list[str]:
        return [item.lesson for s in self.sessions for item in s.items]

    def minutes_for(self, lesson_id: str) -> int:
        return next(item.minutes for s in self.sessions for item in s.items if item.lesson == lesson_id)

    def session_of(self, lesson_id: str) -> Session:
        return next(s for s in self.sessions if any(item.lesson == lesson_id for item in s.items))

    def ends_session(self, lesson_id: str) -> bool:
        """Whether the lesson is the last one of its session (where the exit ticket goes)."""
        return self.session_of(lesson_id).items[-1].lesson == lesson_id


@dataclass(frozen=True)
class GlossaryTerm:
    slug: str  # the link anchor: glossary.md#<slug>
    term: str
    definition: str  # Markdown


@dataclass(frozen=True)
class Course:
    lessons: dict[str, Lesson]  # in file-name order
    tracks: dict[str, Track]
    glossary: dict[str, GlossaryTerm] = field(default_factory=dict)  # by slug, in file order

    def lessons_of(self, track_id: str) -> list[Lesson]:
        return [self.lessons[i] for i in self.tracks[track_id].lesson_ids]


@dataclass(frozen=True)
class Figure:
    """An illustration the lab made: named PNG images (in display order) and a caption."""

    images: dict[str, bytes]
    caption: str


# ------------------------------------------------------------------------------------------------ loading


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str]:
    """``(metadata, body)`` of a file that starts with a ``---`` YAML block."""
    m = _FRONT_RE.match(text.replace("\r\n", "\n"))
    if not m:
        raise LessonError(f"{path.name}: must start with a '---' YAML header and close it with '---'.")
    try:
        meta = yaml.safe_load(m.group(1))
    except yaml.YAMLError as exc:
        raise LessonError(f"{path.name}: the YAML header does not parse: {exc}") from exc
    if not isinstance(meta, dict):
        raise LessonError(f"{path.name}: the YAML header must be a mapping of fields.")
    return meta, m.group(2)


def _need(meta: Mapping, key: str, kind: type | tuple, path: Path) -> Any:
    if key not in meta or meta[key] in (None, "", []):
        raise LessonError(f"{path.name}: missing field '{key}'.")
    value = meta[key]
    if not isinstance(value, kind):
        raise LessonError(f"{path.name}: field '{key}' should be {kind}, got {type(value).__name__}.")
    return value


def _str_list(meta: Mapping, key: str, path: Path) -> tuple[str, ...]:
    value = _need(meta, key, (list, str), path)
    items = [value] if isinstance(value, str) else value
    if not all(isinstance(v, str) and v.strip() for v in items):
        raise LessonError(f"{path.name}: every entry of '{key}' must be non-empty text.")
    return tuple(v.strip() for v in items)


def _question(raw: Any, n: int, path: Path) -> Question:
    where = f"{path.name}: question {n}"
    if not isinstance(raw, dict):
        raise LessonError(f"{where} must be a mapping with question, options and explanation.")
    prompt = raw.get("question")
    explanation = raw.get("explanation")
    options = raw.get("options")
    if not isinstance(prompt, str) or not prompt.strip():
        raise LessonError(f"{where} has no 'question' text.")
    if not isinstance(explanation, str) or not explanation.strip():
        raise LessonError(f"{where} has no 'explanation'.")
    if not isinstance(options, list) or len(options) < 2:
        raise LessonError(f"{where} needs at least two options.")
    texts, correct = [], []
    for i, opt in enumerate(options):
        # A wrong option is plain text; the right one is a mapping {text: ..., correct: true}.
        if isinstance(opt, dict):
            text, is_right = opt.get("text"), opt.get("correct") is True
        else:
            text, is_right = opt, False
        if not isinstance(text, str) or not text.strip():
            raise LessonError(f"{where}, option {i + 1} has no text.")
        texts.append(text.strip())
        if is_right:
            correct.append(i)
    if len(correct) != 1:
        raise LessonError(f"{where} must have exactly one option marked 'correct: true' (found {len(correct)}).")
    if len(set(texts)) != len(texts):
        raise LessonError(f"{where} repeats an option.")
    return Question(prompt.strip(), tuple(texts), correct[0], explanation.strip())


def load_lesson(path: Path, pages: Mapping[str, str] | None = None) -> Lesson:
    """Parse and validate one lesson file. ``pages`` (page file → title, from the app's page registry
    ``ui.pages.page_titles()``) are the labs a lesson may open; None leaves its lab links unchecked."""
    meta, body = split_front_matter(path.read_text(encoding="utf-8"), path)
    minutes = _need(meta, "minutes", int, path)
    if not 1 <= minutes <= 120:
        raise LessonError(f"{path.name}: 'minutes' should be between 1 and 120.")
    lab = _need(meta, "lab", str, path)
    if pages is not None and lab not in pages:
        raise LessonError(f"{path.name}: lab '{lab}' is not one of the lab's pages ({', '.join(pages)}).")
    more_labs = _str_list(meta, "more_labs", path) if meta.get("more_labs") else ()
    for extra in more_labs:
        if pages is not None and extra not in pages:
            raise LessonError(f"{path.name}: more_labs entry '{extra}' is not one of the lab's pages.")
    preset = meta.get("preset")
    if preset is not None and preset not in SAMPLE_NAMES:
        raise LessonError(f"{path.name}: preset '{preset}' is not a built-in sample ({', '.join(SAMPLE_NAMES)}).")
    questions = _need(meta, "questions", list, path)
    if not body.strip():
        raise LessonError(f"{path.name}: the lesson has no text below its header.")
    return Lesson(
        id=path.stem, title=_need(meta, "title", str, path).strip(), minutes=minutes,
        audience=_str_list(meta, "audience", path), summary=_need(meta, "summary", str, path).strip(),
        objectives=_str_list(meta, "objectives", path), lab=lab,
        lab_title=str(meta.get("lab_title") or (pages or {}).get(lab) or page_title(lab)), more_labs=more_labs, preset=preset,
        tracks=_str_list(meta, "tracks", path),
        questions=tuple(_question(q, i + 1, path) for i, q in enumerate(questions)),
        sources=_str_list(meta, "sources", path) if meta.get("sources") else (),
        body=body.strip() + "\n", path=path,
    )


def page_title(page: str) -> str:
    """A readable name for a page file: ``…/detect_photo.py`` → ``Detect photo`` (when the registry has none)."""
    return Path(page).stem.replace("_", " ").capitalize()


def load_track(path: Path) -> Track:
    """Parse one track file (structure only; :func:`load_course` checks it against the lessons)."""
    meta, notes = split_front_matter(path.read_text(encoding="utf-8"), path)
    show = meta.get("show", "full")
    if show not in ("full", "summary"):
        raise LessonError(f"{path.name}: 'show' must be 'full' or 'summary'.")
    sessions = []
    for n, raw in enumerate(_need(meta, "sessions", list, path), 1):
        if not isinstance(raw, dict):
            raise LessonError(f"{path.name}: session {n} must be a mapping with title, minutes and lessons.")
        items = []
        for entry in _need(raw, "lessons", list, path):
            if not isinstance(entry, dict) or not isinstance(entry.get("lesson"), str) \
                    or not isinstance(entry.get("minutes"), int):
                raise LessonError(f"{path.name}: session {n} lists a lesson without 'lesson' and 'minutes'.")
            items.append(TrackItem(entry["lesson"], entry["minutes"]))
        ticket = raw.get("exit_ticket")
        if not isinstance(ticket, str) or not ticket.strip():
            raise LessonError(f"{path.name}: session {n} needs an 'exit_ticket' (one open question for its end).")
        sessions.append(Session(str(_need(raw, "title", str, path)), _need(raw, "minutes", int, path), tuple(items),
                                exit_ticket=ticket.strip(), optional=raw.get("optional") is True))
    return Track(id=path.stem, title=_need(meta, "title", str, path), minutes=_need(meta, "minutes", int, path),
                 audience=_need(meta, "audience", str, path), summary=_need(meta, "summary", str, path).strip(),
                 show=show, sessions=tuple(sessions), notes=notes.strip() + "\n", path=path)


def lesson_links(body: str) -> list[str]:
    """Targets of Markdown links in a lesson body that point at other lesson files (``*.md``, not the glossary)."""
    return [target for _, target in _LINK_RE.findall(body)
            if target.split("#")[0].endswith(".md") and target.split("#")[0] != GLOSSARY_NAME]


def glossary_links(body: str) -> list[str]:
    """Anchors (slugs) of the glossary terms a text links to, in order, without repeats."""
    slugs = [t.split("#", 1)[1] if "#" in t else "" for _, t in _LINK_RE.findall(body)
             if t.split("#")[0] == GLOSSARY_NAME]
    return list(dict.fromkeys(slugs))


def slugify(term: str) -> str:
    """The anchor of a glossary term: ``False alarm`` → ``false-alarm``."""
    return re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")


def load_glossary(path: Path) -> dict[str, GlossaryTerm]:
    """``## Term`` sections of the glossary file, each followed by its definition; {} when the file is absent."""
    if not path.is_file():
        return {}
    terms: dict[str, GlossaryTerm] = {}
    for block in re.split(r"^## +", path.read_text(encoding="utf-8"), flags=re.M)[1:]:
        head, _, definition = block.partition("\n")
        term, definition = head.strip(), definition.strip()
        if not term or not definition:
            raise LessonError(f"{path.name}: the term '{term}' has no definition.")
        slug = slugify(term)
        if slug in terms:
            raise LessonError(f"{path.name}: the term '{term}' appears twice.")
        terms[slug] = GlossaryTerm(slug, term, definition)
    return terms


def load_course(lessons_dir: Path = LESSONS_DIR, tracks_dir: Path | None = None, *,
                pages: Mapping[str, str] | None = None) -> Course:
    """Load every lesson and track and check that they fit together; ``pages`` as for :func:`load_lesson`.

    Checks: each track lists existing lessons once; its sessions' lesson minutes fit the session; a lesson's
    ``tracks`` field names exactly the tracks that list it; links between lessons point at existing files.
    """
    tracks_dir = tracks_dir or lessons_dir / "tracks"
    lessons = {p.stem: load_lesson(p, pages) for p in sorted(lessons_dir.glob("*.md")) if p.name not in NOT_LESSONS}
    if not lessons:
        raise LessonError(f"No lessons found in {lessons_dir}.")
    tracks = {p.stem: load_track(p) for p in sorted(tracks_dir.glob("*.md"))}
    glossary = load_glossary(lessons_dir / GLOSSARY_NAME)
    for lesson in lessons.values():
        for target in lesson_links(lesson.body):
            if target.split("#")[0][:-3] not in lessons:
                raise LessonError(f"{lesson.path.name}: link to '{target}', which is not a lesson file.")
        for slug in glossary_links(lesson.body):
            if slug not in glossary:
                raise LessonError(f"{lesson.path.name}: links to glossary term '#{slug}', which is not in "
                                  f"{GLOSSARY_NAME} (add a '## ' section for it).")
        unknown = set(lesson.tracks) - set(tracks)
        if unknown:
            raise LessonError(f"{lesson.path.name}: names unknown track(s) {sorted(unknown)}.")
    for track in tracks.values():
        ids = track.lesson_ids
        if len(ids) != len(set(ids)):
            raise LessonError(f"{track.path.name}: lists a lesson twice.")
        for lid in ids:
            if lid not in lessons:
                raise LessonError(f"{track.path.name}: lists '{lid}', which is not a lesson in {lessons_dir.name}/.")
            if track.id not in lessons[lid].tracks:
                raise LessonError(f"{lessons[lid].path.name}: is in track '{track.id}' but does not list it "
                                  f"in its 'tracks' field.")
        for lesson in lessons.values():
            if track.id in lesson.tracks and lesson.id not in ids:
                raise LessonError(f"{lesson.path.name}: lists track '{track.id}', but that track does not include it.")
        for s in track.sessions:
            used = sum(i.minutes for i in s.items)
            if used > s.minutes:
                raise LessonError(f"{track.path.name}: session '{s.title}' plans {used} min of lessons in {s.minutes} min.")
        if sum(s.minutes for s in track.sessions if not s.optional) != track.minutes:
            raise LessonError(f"{track.path.name}: sessions (without optional ones) do not add up to the track's "
                              f"{track.minutes} minutes.")
    return Course(lessons=lessons, tracks=tracks, glossary=glossary)


# ------------------------------------------------------------------------------------------- model card


def load_model_card(path: Path | None = None) -> dict[str, Any] | None:
    """The measured figures, or None when the file is missing or unreadable (the lessons then say so)."""
    try:
        card = json.loads(Path(path or MODEL_CARD_PATH).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return card if isinstance(card, dict) else None


def _fmt(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if "auc" in key.lower() or 0 <= value <= 1:
            return f"{value:.3f}"
        return f"{value:.1f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def _lookup(card: Mapping[str, Any], dotted: str) -> Any:
    value: Any = card
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def auc_reading(auc: float) -> str:
    """What an AUC means in plain words (for the report card)."""
    if auc < 0.45:
        return "worse than a coin toss: ranks this kind backwards"
    if auc < 0.55:
        return "about a coin toss"
    if auc < 0.7:
        return "weak"
    if auc < 0.85:
        return "useful ranking, many errors"
    return "good ranking"


def _pct(value: Any) -> str:
    return f"{100 * value:.0f}%" if isinstance(value, (int, float)) and not isinstance(value, bool) else "–"


def families_table(card: Mapping[str, Any]) -> str:
    """The detector's report card per kind of fake: AUC, its plain reading, and at the *likely manipulated*
    threshold the share of fakes caught and of real faces wrongly flagged; or the missing-figure note."""
    fams = card.get("families")
    rows = []
    if isinstance(fams, Mapping):
        for name, fig in fams.items():
            if isinstance(fig, Mapping) and isinstance(fig.get("auc"), (int, float)):
                n = fig.get("n")
                rows.append(f"| {name} | {fig['auc']:.3f} | {_fmt('n', n) if isinstance(n, int) else '–'} | "
                            f"{auc_reading(fig['auc'])} | {_pct(fig.get('tpr'))} | {_pct(fig.get('fpr'))} |")
    if not rows:
        return MISSING_KEY
    return ("| Kind of fake | AUC | Test items | In words | Fakes caught | Real faces flagged |\n"
            "|---|---|---|---|---|---|\n" + "\n".join(rows))


def heldout_table(card: Mapping[str, Any]) -> str:
    """Self-blends of held-out people under one condition at a time (the kind of fake it was trained on)."""
    conds = card.get("heldout_conditions")
    rows = []
    if isinstance(conds, Mapping):
        for name, fig in conds.items():
            if isinstance(fig, Mapping) and isinstance(fig.get("auc"), (int, float)):
                rows.append(f"| {name} | {fig['auc']:.3f} | {_pct(fig.get('fakes_caught'))} | "
                            f"{_pct(fig.get('real_flagged'))} |")
    if not rows:
        return MISSING_KEY
    return ("| Condition (self-blends of people it never saw) | AUC | Fakes caught | Real faces flagged |\n"
            "|---|---|---|---|\n" + "\n".join(rows))


def samples_table(card: Mapping[str, Any]) -> str:
    """The fake score and verdict of each built-in sample photo (all of them real photographs)."""
    samples = card.get("bundled_samples")
    rows = []
    if isinstance(samples, Mapping):
        for name, fig in samples.items():
            if isinstance(fig, Mapping) and isinstance(fig.get("fake_prob"), (int, float)):
                rows.append(f"| {name} | real photo | {100 * fig['fake_prob']:.0f} | {fig.get('verdict', '–')} |")
    if not rows:
        return MISSING_KEY
    return "| Sample | What it is | Fake score (0–100) | Verdict |\n|---|---|---|---|\n" + "\n".join(rows)


def card_summary(card: Mapping[str, Any]) -> str:
    """A bullet list of the headline figures present in the card (per-family AUCs: :func:`families_table`)."""
    lines = []
    if (v := card.get("val_auc_selfblend")) is not None:
        lines.append(f"- AUC on held-out self-blended fakes of faces it never trained on: **{_fmt('auc', v)}**")
    if (v := card.get("forward_ms_per_face")) is not None:
        lines.append(f"- Time to score one face on this computer's processor: **{_fmt('ms', v)} ms**")
    if (v := card.get("train_minutes")) is not None:
        lines.append(f"- Training time: **{_fmt('min', v)} minutes**")
    if (v := card.get("training_data")):
        lines.append(f"- Trained on: {v}")
    return "\n".join(lines) if lines else MISSING_KEY


def report_summary(card: Mapping[str, Any]) -> str:
    """The report card in one plain sentence, worked out from the figures (never typed into a lesson)."""
    parts = []
    if isinstance(v := card.get("val_auc_selfblend"), (int, float)):
        parts.append(f"On its own kind of fake (self-blends of people it never saw) its AUC is {v:.3f}: "
                     f"{auc_reading(v)}.")
    fams = card.get("families")
    aucs = [f["auc"] for f in fams.values() if isinstance(f, Mapping) and isinstance(f.get("auc"), (int, float))] \
        if isinstance(fams, Mapping) else []
    if aucs:
        good = sum(a >= 0.85 for a in aucs)
        backwards = sum(a < 0.45 for a in aucs)
        parts.append(f"Of {len(aucs)} kinds of fake made elsewhere, it ranks {good} well, "
                     f"{len(aucs) - good - backwards} less well, and {backwards} backwards (AUC below 0.45).")
    return " ".join(parts) if parts else MISSING_KEY


_TABLES = {"families_table": families_table, "report_summary": report_summary, "heldout_table": heldout_table, "samples_table": samples_table,
           "summary": card_summary}


def fill_card(text: str, card: Mapping[str, Any] | None) -> str:
    """Replace ``{{card.…}}`` placeholders with measured figures (or the notes that say they are missing).

    ``{{card.score:KEY}}`` writes a 0–1 value as a fake score out of 100, ``{{card.pct:KEY}}`` as a percentage."""

    def sub(m: re.Match) -> str:
        mode, key = m.group(1), m.group(2).strip()
        if card is None:
            return MISSING_CARD
        if key in _TABLES and not mode:
            return _TABLES[key](card)
        value = _lookup(card, key)
        if value is None or isinstance(value, (dict, list)):
            return MISSING_KEY
        if mode and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return MISSING_KEY
        if mode == "score":
            return f"{100 * value:.0f}"
        if mode == "pct":
            return f"{100 * value:.0f}%"
        return _fmt(key, value)

    return _CARD_RE.sub(sub, text)


def track_notes(track: Track, card: Mapping[str, Any] | None) -> str:
    """The facilitator notes with the model card's figures filled in (the scripted misfires quote them)."""
    return fill_card(track.notes, card)


# ----------------------------------------------------------------------------------- check-question order


def option_order(question_key: str, n_options: int, seed: str) -> list[int]:
    """The order (original option indices) in which one learner sees a question's options.

    Shuffled per learner and question, and the same every time for the same ``seed`` (a session id), so the
    options do not jump around when the page reruns, and the correct answer's position carries no clue."""
    digest = hashlib.blake2b(f"{seed}|{question_key}".encode("utf-8"), digest_size=8).digest()
    order = list(range(n_options))
    random.Random(int.from_bytes(digest, "big")).shuffle(order)
    return order


def figure_names(text: str) -> list[str]:
    return _FIGURE_RE.findall(text)


def split_figures(text: str) -> list[tuple[str, str]]:
    """Split a body into ``("md", text)`` and ``("figure", name)`` parts, in order."""
    parts, pos = [], 0
    for m in _FIGURE_RE.finditer(text):
        if text[pos:m.start()].strip():
            parts.append(("md", text[pos:m.start()]))
        parts.append(("figure", m.group(1)))
        pos = m.end()
    if text[pos:].strip():
        parts.append(("md", text[pos:]))
    return parts


def rewrite_lesson_links(text: str, course: Course, anchor: bool = False, track: Track | None = None) -> str:
    """Turn ``[text](other.md)`` links into something that works where the text is shown.

    For the app: bold text plus the lesson's title. For the handout (``anchor``): an in-page link when the
    target is part of the handout's track, otherwise the title as plain text.
    """

    def sub(m: re.Match) -> str:
        label, target = m.group(1), m.group(2)
        if not target.split("#")[0].endswith(".md"):
            return m.group(0)
        if target.split("#")[0] == GLOSSARY_NAME:
            slug = target.split("#", 1)[1] if "#" in target else ""
            if anchor and slug in course.glossary:
                return f"[{label}](#glossary-{slug})"
            return f"**{label}**"  # the app lists the lesson's glossary terms below the text
        lid = target.split("#")[0][:-3]
        lesson = course.lessons.get(lid)
        if lesson is None:
            return label
        if anchor and track is not None and lid in track.lesson_ids:
            return f"[{label}](#lesson-{lid})"
        return f"**{label}** (see the lesson *{lesson.title}*)"

    return _LINK_RE.sub(sub, text)


def shift_headings(text: str, levels: int) -> str:
    """Demote Markdown ``#`` headings by ``levels`` (at most h6), so a document's sections sit below the page's
    title; lines inside ``` fences are code (a shell comment is not a heading) and stay as they are."""
    parts = re.split(r"(^```.*?^```[^\n]*$)", text, flags=re.M | re.S)  # odd indices: fenced blocks
    return "".join(part if i % 2 else
                   re.sub(r"^(#{1,6})(?=\s)", lambda m: "#" * min(6, len(m.group(1)) + levels), part, flags=re.M)
                   for i, part in enumerate(parts))


def lesson_markdown(lesson: Lesson, course: Course, card: Mapping[str, Any] | None, heading_shift: int = 0) -> str:
    """The lesson body as the app shows it: figures filled in, links rewritten (figure placeholders kept)."""
    return shift_headings(rewrite_lesson_links(fill_card(lesson.body, card), course), heading_shift)


# ------------------------------------------------------------------------------------------ illustrations


def _png(rgb: np.ndarray) -> bytes:
    from core.engine.media import encode_png

    return encode_png(np.ascontiguousarray(rgb))


def make_selfblend_figure(extractor, sample: str = "grace_hopper", seed: int = 7, size: int = 192) -> Figure | None:
    """The lab's own illustration of lesson 2: a sample face, the blending mask, the self-blended fake and
    the amplified difference, all as aligned crops. ``extractor`` is a :class:`core.engine.faces.FaceExtractor`.
    Returns None when no face is found (the lessons then go without the picture)."""
    from core.engine.faces import crop_face, load_sample
    from core.fakes.forge import ForgeSettings, self_blend

    rgb = load_sample(sample)
    faces = extractor.detect(rgb, crops=False, max_faces=1)
    if not faces:
        return None
    face = faces[0]
    # Fixed, clearly visible settings so the traces can be seen on paper.
    result = self_blend(rgb, face.landmarks, seed=seed,
                        settings=ForgeSettings(blend=1.0, mask_scale=1.0, color_shift=0.9, blur_or_sharpen=False,
                                               shift_px=0.02 * face.size))
    mask_rgb = np.repeat((result.mask * 255).astype(np.uint8)[..., None], 3, axis=2)
    diff = np.abs(result.fake.astype(np.int16) - result.target.astype(np.int16))
    diff_rgb = np.clip(diff * 4, 0, 255).astype(np.uint8)  # ×4 so small changes show up
    crops = [crop_face(img, face.box, face.landmarks, size=size)[0]
             for img in (result.target, mask_rgb, result.fake, diff_rgb)]
    names = ["Original", "Blending mask", "Self-blended fake", "Difference ×4"]
    return Figure(images={n: _png(c) for n, c in zip(names, crops)},
                  caption="Made by this lab from the built-in sample photo: the face is blended with a colour-shifted, "
                          "slightly blurred and shifted copy of itself inside the mask. The difference image shows "
                          "where the pixels changed: the whole face, with the strongest change at the mask's edge.")


def handout_order(question_key: str, n_options: int, correct: int, number: int, seed: str) -> list[int]:
    """The option order for a printed sheet, where the whole class sees the same order: as :func:`option_order`,
    but the right answer's position is balanced over the sheet — each run of four questions uses every
    position once, in a shuffled order — so a test-wise reader can find no favourite letter."""
    block = random.Random(f"{seed}|block{number // 4}").sample(range(4), 4)
    target = block[number % 4] % n_options
    rest = [j for j in option_order(question_key, n_options, seed) if j != correct]
    return rest[:target] + [correct] + rest[target:]


# ---------------------------------------------------------------------------------------------- handout

_HANDOUT_CSS = """
*{box-sizing:border-box}
body{font-family:Georgia,'Times New Roman',serif;font-size:11.5pt;line-height:1.45;color:#111;max-width:46em;
margin:2em auto;padding:0 1.2em}
h1,h2,h3{font-family:'Helvetica Neue',Arial,sans-serif;line-height:1.2}
h1{font-size:20pt;margin-bottom:.2em}h2{font-size:15pt;border-bottom:1px solid #999;padding-bottom:.15em;margin-top:1.6em}
h3{font-size:12pt;margin-bottom:.3em}
.meta{color:#444;font-size:10pt}.key{border-left:4px solid #0072B2;padding:.3em .8em;background:#f2f7fb}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #999;padding:.2em .5em;font-size:10pt}
figure{margin:1em 0;page-break-inside:avoid}figure .row{display:flex;gap:.5em;flex-wrap:wrap}
figure .cell{flex:1;min-width:8em;text-align:center;font-size:9pt}figure img{width:100%;height:auto;border:1px solid #ccc}
figcaption{font-size:9.5pt;color:#333;margin-top:.4em}
ol.options{list-style:upper-alpha}.q{page-break-inside:avoid;margin-bottom:.8em}
.lesson{page-break-before:always}.lesson:first-of-type{page-break-before:auto}
.sources li,.answers li{font-size:9.5pt}.lab{font-size:10pt;color:#333}
.ticket{border:1px dashed #666;padding:.4em .8em;margin:1em 0}dt{font-weight:bold}dd{margin:0 0 .5em 1.2em}
@media print{body{margin:0;max-width:none}a{color:inherit;text-decoration:none}}
@page{margin:18mm}
"""


def _md(text: str) -> str:
    import markdown

    return markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")


def _figure_html(fig: Figure) -> str:
    cells = "".join(
        f'<div class="cell"><img alt="{html.escape(name)}" src="data:image/png;base64,'
        f'{base64.b64encode(png).decode("ascii")}"><div>{html.escape(name)}</div></div>'
        for name, png in fig.images.items())
    return f'<figure><div class="row">{cells}</div><figcaption>{html.escape(fig.caption)}</figcaption></figure>'


HANDOUT_SEED = "handout"  # printed handouts shuffle the options too, the same way every time


def render_handout(track: Track, course: Course, card: Mapping[str, Any] | None,
                   figures: Mapping[str, Figure | None] | None = None, seed: str = HANDOUT_SEED) -> str:
    """A printable handout for one track: one self-contained HTML page (inline CSS, images as data: URIs).

    Each lesson gives its key idea, objectives, text (or just the key idea for a summary track), the lab to
    try and its check questions (options in the order :func:`handout_order` gives for ``seed``); each session
    ends with its exit ticket. Answers with explanations, the glossary terms the lessons link to and all
    sources come at the end.
    """
    figures = figures or {}
    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
           f"<meta name='viewport' content='width=device-width, initial-scale=1'>",
           f"<title>{html.escape(track.title)} — Deepfake Lab handout</title><style>{_HANDOUT_CSS}</style></head><body>",
           f"<h1>{html.escape(track.title)}</h1>",
           f"<p class='meta'>Deepfake Lab · {track.minutes} minutes · for {html.escape(track.audience)}</p>",
           f"<p>{html.escape(track.summary)}</p>", "<h3>Plan</h3><ol>"]
    for s in track.sessions:
        names = "; ".join(html.escape(course.lessons[i.lesson].title) for i in s.items)
        extra = " — optional extension" if s.optional else ""
        out.append(f"<li><b>{html.escape(s.title)}</b> ({s.minutes} min{extra}): {names}</li>")
    out.append("</ol>")
    answers, sources, qn = [], [], 0
    for lesson in course.lessons_of(track.id):
        out.append(f"<section class='lesson' id='lesson-{lesson.id}'><h2>{html.escape(lesson.title)}</h2>")
        out.append(f"<p class='meta'>{track.minutes_for(lesson.id)} minutes</p>")
        out.append(f"<p class='key'><b>Key idea.</b> {html.escape(lesson.summary)}</p>")
        out.append("<h3>You will be able to</h3><ul>" +
                   "".join(f"<li>{html.escape(o)}</li>" for o in lesson.objectives) + "</ul>")
        if track.show == "full":
            body = shift_headings(rewrite_lesson_links(fill_card(lesson.body, card), course, anchor=True,
                                                       track=track), 1)
            for kind, part in split_figures(body):
                if kind == "md":
                    out.append(_md(part))
                elif figures.get(part) is not None:
                    out.append(_figure_html(figures[part]))
                else:
                    out.append("<p class='meta'><i>(The illustration is made by the lab's own face detector; "
                               "open the lab to see it.)</i></p>")
        out.append(f"<p class='lab'><b>Try it in the lab:</b> the <i>{html.escape(lesson.lab_title)}</i> page"
                   + (f" with the built-in sample photo of {html.escape(sample_title(lesson.preset))}"
                      if lesson.preset else "") + ".</p>")
        qs = lesson.questions if track.show == "full" else lesson.questions[:1]
        if qs:
            out.append("<h3>Check yourself</h3>")
        for i, q in enumerate(qs):
            qn += 1
            order = handout_order(f"{lesson.id}#{i}", len(q.options), q.correct, qn - 1, seed)
            opts = "".join(f"<li>{html.escape(q.options[j])}</li>" for j in order)
            out.append(f"<div class='q'><p><b>{qn}.</b> {html.escape(q.prompt)}</p><ol class='options'>{opts}</ol></div>")
            letter = chr(ord("A") + order.index(q.correct))
            answers.append(f"<li value='{qn}'><b>{letter}</b> — {html.escape(q.options[q.correct])}. "
                           f"{html.escape(q.explanation)}</li>")
        if track.ends_session(lesson.id):
            out.append(f"<div class='ticket'><b>Exit ticket.</b> "
                       f"{html.escape(track.session_of(lesson.id).exit_ticket)}<br>&nbsp;<br>&nbsp;</div>")
        for src in lesson.sources:
            if src not in sources:
                sources.append(src)
        out.append("</section>")
    out.append("<section class='lesson'><h2>Answers</h2><ol class='answers'>" + "".join(answers) + "</ol>")
    terms = list(course.glossary) if track.show == "full" else []  # the whole glossary: definitions link each other
    if terms:
        out.append("<h2>Glossary</h2><dl class='glossary'>" + "".join(
            f"<dt id='glossary-{t}'>{html.escape(course.glossary[t].term)}</dt>"
            f"<dd>{_md(rewrite_lesson_links(course.glossary[t].definition, course, anchor=True, track=track))}</dd>"
            for t in terms) + "</dl>")
    if sources:
        out.append("<h2>Sources</h2><ul class='sources'>" +
                   "".join(f"<li>{html.escape(s)}</li>" for s in sources) + "</ul>")
    out.append("<p class='meta'>Made by Deepfake Lab. Figures about the lab's own detector come from its model card "
               "and were measured on this installation's test data.</p></section></body></html>")
    return "\n".join(out)
