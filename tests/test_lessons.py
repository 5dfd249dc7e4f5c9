"""Lessons: the files are complete and consistent, the handouts are self-contained, and the page teaches."""

from __future__ import annotations

import html
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from core.classroom import lessons as L
from ui.pages import page_titles, preset_key

ROOT = Path(__file__).resolve().parent.parent
# The page names planned in the helper brief, kept here independently of the page registry (ui/pages.py).
PLANNED = {
    "pages/home.py", "pages/faces.py", "pages/detect_photo.py", "pages/detect_video.py", "pages/explain.py",
    "pages/lessons.py", "pages/make_a_fake.py", "pages/robustness.py", "pages/adversarial.py",
    "pages/thresholds.py", "pages/spectrum.py", "pages/quiz.py", "pages/teacher.py", "pages/provenance.py",
    "pages/live.py", "pages/about.py",
}
LESSON_FILES = sorted(p for p in (ROOT / "lessons").glob("*.md") if p.name not in ("README.md", "glossary.md"))


def _raw(path: Path) -> tuple[dict, str]:
    """Front matter and body parsed here with PyYAML directly, not through the loader under test."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), f"{path.name} has no YAML header"
    head, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(head), body


@pytest.fixture(scope="module")
def course() -> L.Course:
    return L.load_course(pages=page_titles())


FAKE_CARD = {"val_auc_selfblend": 0.9613,
             "families": {"dfdc": {"auc": 0.712, "n": 22}, "gan": {"auc": 0.55, "n": 400},
                          "other swaps": {"auc": 0.31, "n": 50, "tpr": 0.1, "fpr": 0.4}},
             "forward_ms_per_face": 4.25, "train_minutes": 61.5, "training_data": "LFW (real faces only)",
             "thresholds": {"likely_real_below": 0.25, "likely_manipulated_from": 0.7},
             "training": {"val_fpr_at_high": 0.05},
             "bundled_samples": {"Sample A (real)": {"fake_prob": 0.61, "verdict": "uncertain"}}}


# ------------------------------------------------------------------------------------------ lesson files


def test_course_covers_eleven_topics_and_three_tracks(course):
    assert len(LESSON_FILES) >= 11
    assert list(course.lessons) == [p.stem for p in LESSON_FILES]
    assert set(course.tracks) == {"classroom", "workshop", "demo"}
    classroom = course.tracks["classroom"]
    assert [s.minutes for s in classroom.sessions if not s.optional] == [50, 50]
    for s in classroom.sessions:  # a class session leaves time for its exit ticket and overrunning labs
        assert sum(i.minutes for i in s.items) <= s.minutes - 5 or s.optional, s.title
    assert "06-looking-inside" in [i.lesson for s in classroom.sessions if s.optional for i in s.items]
    assert classroom.minutes_for("09-policy-and-ethics") >= 12
    assert course.tracks["workshop"].minutes_for("09-policy-and-ethics") == 20
    assert course.tracks["demo"].minutes_for("10-spot-the-fake") >= 3
    assert course.tracks["workshop"].minutes == 60 and course.tracks["demo"].minutes == 10
    assert set(classroom.lesson_ids) == set(course.lessons)  # the full course teaches every topic
    for track in course.tracks.values():
        assert track.notes.strip(), f"{track.id} has no facilitator notes"


@pytest.mark.parametrize("path", LESSON_FILES, ids=lambda p: p.stem)
def test_every_lesson_has_metadata(path):
    meta, body = _raw(path)
    for field in ("title", "minutes", "audience", "summary", "objectives", "lab", "tracks", "questions", "sources"):
        assert meta.get(field), f"{path.name}: missing {field}"
    assert isinstance(meta["minutes"], int) and meta["minutes"] > 0
    assert len(body.split()) > 150, f"{path.name}: the lesson text is too short to teach anything"


@pytest.mark.parametrize("path", LESSON_FILES, ids=lambda p: p.stem)
def test_linked_pages_are_planned_pages(path):
    from core.engine.faces import SAMPLES

    meta, _ = _raw(path)
    for page in [meta["lab"], *meta.get("more_labs", [])]:
        assert page in PLANNED, f"{path.name}: links to {page}, not a planned page"
    if meta.get("preset"):
        assert meta["preset"] in SAMPLES
        assert SAMPLES[meta["preset"]].startswith(L.sample_title(meta["preset"]))  # named as the pages name it


@pytest.mark.parametrize("path", LESSON_FILES, ids=lambda p: p.stem)
def test_every_question_has_one_correct_answer_and_an_explanation(path):
    meta, _ = _raw(path)
    assert meta["questions"], f"{path.name}: no check questions"
    for q in meta["questions"]:
        assert q["question"].strip() and q["explanation"].strip()
        flags = [isinstance(o, dict) and o.get("correct") is True for o in q["options"]]
        assert len(flags) >= 3 and sum(flags) == 1, f"{path.name}: {q['question']!r} has {sum(flags)} correct options"


@pytest.mark.parametrize("path", LESSON_FILES, ids=lambda p: p.stem)
def test_no_broken_links_between_lessons(path):
    _, body = _raw(path)
    for target in re.findall(r"\]\(([^)\s]+)\)", body):
        assert not target.startswith(("http://", "https://")), f"{path.name}: external link {target}"
        if target.endswith(".md"):
            assert (ROOT / "lessons" / target).is_file(), f"{path.name}: broken link to {target}"


def test_tracks_and_lessons_agree(course):
    for track in course.tracks.values():
        for lesson in course.lessons.values():
            assert (lesson.id in track.lesson_ids) == (track.id in lesson.tracks), (track.id, lesson.id)


def _write_course(tmp: Path, lesson_meta: dict, body: str = "Text " * 50) -> Path:
    (tmp / "tracks").mkdir(parents=True, exist_ok=True)
    (tmp / "01-x.md").write_text("---\n" + yaml.safe_dump(lesson_meta) + "---\n" + body, encoding="utf-8")
    track = {"title": "T", "minutes": 10, "audience": "a", "summary": "s",
             "sessions": [{"title": "S", "minutes": 10, "lessons": [{"lesson": "01-x", "minutes": 5}]}]}
    (tmp / "tracks" / "t.md").write_text("---\n" + yaml.safe_dump(track) + "---\nNotes", encoding="utf-8")
    return tmp


def _add_exit_ticket(root: Path) -> None:
    track_file = root / "tracks" / "t.md"
    meta, notes = track_file.read_text(encoding="utf-8")[4:].split("\n---\n", 1)
    data = yaml.safe_load(meta)
    data["sessions"][0]["exit_ticket"] = "What did you learn?"
    track_file.write_text("---\n" + yaml.safe_dump(data) + "---\n" + notes, encoding="utf-8")


def _good_meta() -> dict:
    return {"title": "X", "minutes": 5, "audience": ["students"], "summary": "s", "objectives": ["o"],
            "lab": "pages/faces.py", "tracks": ["t"],
            "questions": [{"question": "q?", "options": ["a", {"text": "b", "correct": True}, "c"],
                           "explanation": "because"}]}


@pytest.mark.parametrize("breakage, message", [
    (lambda m: m["questions"][0].update(options=["a", "b", "c"]), "exactly one"),
    (lambda m: m["questions"][0].update(options=[{"text": "a", "correct": True}, {"text": "b", "correct": True}]),
     "exactly one"),
    (lambda m: m["questions"][0].pop("explanation"), "explanation"),
    (lambda m: m.update(lab="pages/nowhere.py"), "not one of the lab's pages"),
    (lambda m: m.pop("objectives"), "objectives"),
    (lambda m: m.update(tracks=["other"]), "unknown track"),
])
def test_validation_rejects_broken_lessons(tmp_path, breakage, message):
    meta = _good_meta()
    root = _write_course(tmp_path, meta)
    _add_exit_ticket(root)
    L.load_course(root, pages=page_titles())  # the unbroken file loads
    breakage(meta)
    root = _write_course(tmp_path, meta)
    _add_exit_ticket(root)
    with pytest.raises(L.LessonError, match=message):
        L.load_course(root, pages=page_titles())


def test_validation_rejects_broken_internal_link(tmp_path):
    root = _write_course(tmp_path, _good_meta(), body="See [this](02-missing.md). " + "Text " * 50)
    _add_exit_ticket(root)
    with pytest.raises(L.LessonError, match="not a lesson file"):
        L.load_course(root)


# ---------------------------------------------------------------------------------------- model figures


def test_figures_come_from_the_model_card(course, tmp_path):
    lesson = course.lessons["05-how-detectors-work"]
    assert "{{card." in lesson.body  # the detector's numbers are placeholders, never typed into the text
    missing = L.lesson_markdown(lesson, course, None)
    assert L.MISSING_CARD in missing and "{{" not in missing
    filled = L.lesson_markdown(lesson, course, FAKE_CARD)
    assert "0.961" in filled and "| dfdc | 0.712 | 22 |" in filled and "4.2" in filled and "LFW" in filled
    assert L.MISSING_CARD not in filled and "{{" not in filled
    partial = L.fill_card("{{card.val_auc_selfblend}} {{card.families_table}} {{card.nope}}", {"val_auc_selfblend": 0.5})
    assert partial == f"0.500 {L.MISSING_KEY} {L.MISSING_KEY}"
    bad = tmp_path / "card.json"
    bad.write_text("{not json", encoding="utf-8")
    assert L.load_model_card(bad) is None and L.load_model_card(tmp_path / "absent.json") is None


def test_no_unfilled_placeholders_in_any_lesson(course):
    for lesson in course.lessons.values():
        for card in (None, FAKE_CARD, {}):
            text = L.lesson_markdown(lesson, course, card)
            assert "{{card" not in text, lesson.id
            assert set(L.figure_names(text)) <= {"selfblend"}, lesson.id
    for track in course.tracks.values():
        for card in (None, FAKE_CARD, {}):
            assert "{{" not in L.track_notes(track, card), track.id


# ---------------------------------------------------------------------------------------------- handouts


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.ids: set[str] = set()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "poster", "action"):
                self.refs.append((tag, name, value or ""))
            if name == "id":
                self.ids.add(value)


def _tiny_figure() -> L.Figure:
    buf = io.BytesIO()
    Image.fromarray(np.full((8, 8, 3), 127, np.uint8)).save(buf, format="PNG")
    return L.Figure(images={"Original": buf.getvalue(), "Mask": buf.getvalue()}, caption="test")


@pytest.mark.parametrize("track_id", ["classroom", "workshop", "demo"])
@pytest.mark.parametrize("card", [None, FAKE_CARD], ids=["no-card", "card"])
def test_handout_is_self_contained(course, track_id, card):
    track = course.tracks[track_id]
    page = L.render_handout(track, course, card, {"selfblend": _tiny_figure()})
    parser = _Refs()
    parser.feed(page)
    assert not {"script", "link", "iframe", "object", "embed"} & set(parser.tags)
    for tag, attr, value in parser.refs:
        assert value.startswith(("data:", "#")), f"<{tag} {attr}={value[:60]!r}> is not self-contained"
        if value.startswith("#"):
            assert value[1:] in parser.ids, f"in-page link {value} has no target"
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page) and "@import" not in page
    assert not re.search(r"(src|href)\s*=\s*['\"]?\s*(https?:)?//", page)
    for lesson in course.lessons_of(track_id):
        assert lesson.title.replace("'", "&#x27;") in page
    # Lesson sections sit below lesson titles: h2 is used only for lessons, answers, glossary (full tracks) and sources.
    assert page.count("<h2") == len(track.lesson_ids) + 1 + 1 + (track.show == "full")
    assert page.count("class='ticket'") == len(track.sessions)  # one exit ticket per session
    if track.show == "full":
        assert "id='glossary-auc'" in page
    n_questions = sum(len(l.questions) if track.show == "full" else 1 for l in course.lessons_of(track_id))
    assert page.count("<div class='q'>") == n_questions
    assert len(re.findall(r"<li value='\d+'>", page)) == n_questions  # one answer per question
    if track.show == "full" and "02-how-a-face-swap-is-made" in track.lesson_ids:
        assert page.count("data:image/png;base64,") == 2
    if card is None and "05-how-detectors-work" in track.lesson_ids and track.show == "full":
        assert L.MISSING_CARD in page


def test_selfblend_figure_is_made_by_the_lab(lab):
    fig = L.make_selfblend_figure(lab.extractor, size=96)  # the shared engine's face detector, as the page uses
    assert fig is not None and list(fig.images) == ["Original", "Blending mask", "Self-blended fake", "Difference ×4"]
    arrays = {k: np.asarray(Image.open(io.BytesIO(v))) for k, v in fig.images.items()}
    assert all(a.shape == (96, 96, 3) for a in arrays.values())
    mask = arrays["Blending mask"][..., 0].astype(float) / 255
    assert 0.1 < mask.mean() < 0.9  # a face-shaped region, not empty and not the whole crop
    diff = np.abs(arrays["Self-blended fake"].astype(int) - arrays["Original"].astype(int)).sum(axis=2)
    assert diff[mask > 0.9].mean() > 3 * diff[mask < 0.05].mean()  # the fake differs under the mask, not outside


def test_one_page_registry_for_the_app_and_the_lessons():
    from ui.pages import registered_pages

    pages = registered_pages()
    assert pages == PLANNED and all((ROOT / p).is_file() for p in pages)
    assert "ui.pages" in (ROOT / "app.py").read_text(encoding="utf-8")  # the sidebar is built from it
    assert "pages/" not in (ROOT / "core" / "classroom" / "lessons.py").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------- the page


def _page():
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(ROOT / "pages" / "lessons.py"), default_timeout=120)


def test_page_answers_a_question_with_feedback():
    at = _page().run()
    assert not at.exception
    assert at.header[0].value == "What is a deepfake?"
    key = "lq_01-what-is-a-deepfake#0"
    q = L.load_course().lessons["01-what-is-a-deepfake"].questions[0]
    wrong = next(j for j in range(len(q.options)) if j != q.correct)
    at.radio(key=key).set_value(wrong).run()  # wrong first (values are the original option indices)
    assert at.error and "Not quite" in at.error[0].value and "learned model" in at.error[0].value
    at.radio(key=key).set_value(q.correct).run()  # then right
    assert at.success and at.success[0].value.startswith("**Right.**")
    assert "0 of 1 questions right first time" in at.get("progress")[0].proto.text
    # Answers survive moving to the next lesson and back.
    at.button(key="lessons_next").click().run()
    assert at.header[0].value.startswith("How a face swap is made")
    at.button(key="lessons_prev").click().run()
    assert at.radio(key=key).value == q.correct and at.success


def test_page_demo_track_shows_one_question_and_facilitator_notes():
    at = _page().run()
    at.radio(key="lessons_track").set_value("demo").run()
    assert not at.exception
    questions = [r for r in at.radio if r.key and r.key.startswith("lq_")]
    assert len(questions) == 1
    assert any("Facilitator notes" in e.label for e in at.expander)


def test_page_shows_coming_soon_for_unregistered_labs(monkeypatch):
    import ui.pages

    monkeypatch.setattr(ui.pages, "registered_pages", lambda: {"pages/lessons.py"})
    at = _page().run()
    assert not at.exception
    assert not [b for b in at.button if b.key and b.key.startswith("try_")]
    assert any("coming soon" in c.value for c in at.caption)


def test_try_it_opens_the_lab_with_the_sample_preloaded():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/lessons.py").run()
    assert at.header[0].value == "What is a deepfake?"
    at.button(key="try_01-what-is-a-deepfake").click().run()
    assert not at.exception
    assert at.title[0].value.endswith("Faces")
    assert at.selectbox(key="faces_sample").value == "grace_hopper"


def test_presets_reach_the_pages_image_input(course):
    """A "Try it" preset only works if the page reads ``<key>_preset``: its source must name that key."""
    checked = 0
    for lesson in course.lessons.values():
        if not lesson.preset:
            continue
        for page in (lesson.lab,):  # the preset goes to the lesson's main lab only
            source = ROOT / page
            if not source.is_file():  # planned, not written yet: the Lessons page shows "coming soon"
                continue
            key = preset_key(page)
            text = source.read_text(encoding="utf-8")
            assert re.search(rf"(image_input|choose_photo)\(\s*['\"]{key}['\"]", text) or \
                re.search(rf"^KEY\s*=\s*['\"]{key}['\"]", text, re.M), f"{page} does not read '{key}_preset'"
            checked += 1
    assert checked >= 1


def test_stated_crop_size_matches_the_code(course):
    """Lesson text states the detector's input size; keep it in step with the crop the lab really uses."""
    from core.engine.faces import DEFAULT_CROP_SIZE

    assert f"{DEFAULT_CROP_SIZE} × {DEFAULT_CROP_SIZE} pixels" in course.lessons["05-how-detectors-work"].body


# ------------------------------------------------------------------------------ teaching v2: checks on content


def _all_questions(course):
    return [(lesson.id, i, q) for lesson in course.lessons.values() for i, q in enumerate(lesson.questions)]


def test_correct_option_is_not_given_away_by_its_length(course):
    """A test-wise learner picks the longest option. Across all questions, the right answer may be the longest
    (ties count) in at most 40% of them."""
    questions = _all_questions(course)
    longest = [f"{lid}#{i}" for lid, i, q in questions
               if len(q.options[q.correct]) >= max(len(o) for o in q.options)]
    assert len(longest) <= 0.4 * len(questions), f"correct option is the longest in {len(longest)} of {len(questions)}: {longest}"


def test_option_order_is_a_stable_shuffle_per_learner(course):
    order = L.option_order("01-x#0", 4, "seed-a")
    assert sorted(order) == [0, 1, 2, 3]
    assert L.option_order("01-x#0", 4, "seed-a") == order  # stable within a session
    assert len({tuple(L.option_order("01-x#0", 4, f"s{k}")) for k in range(40)}) > 6  # varies between learners
    # For any one learner, the correct answer does not sit in the same position in every question.
    for seed in ("seed-a", "seed-b", L.HANDOUT_SEED):
        positions = {L.option_order(f"{lid}#{i}", len(q.options), seed).index(q.correct)
                     for lid, i, q in _all_questions(course)}
        assert len(positions) >= 3, (seed, positions)


def test_handout_answer_letters_follow_the_shuffled_order(course):
    track = course.tracks["classroom"]
    page = L.render_handout(track, course, None, {})
    letters = re.findall(r"<li value='\d+'><b>([A-D])</b>", page)
    counts = [letters.count(x) for x in "ABCD"]
    assert max(counts) - min(counts) <= 4, counts  # every letter about equally often on the printed sheet
    lesson = course.lessons_of("classroom")[0]
    q = lesson.questions[0]
    order = L.handout_order(f"{lesson.id}#0", len(q.options), q.correct, 0, L.HANDOUT_SEED)
    assert sorted(order) == list(range(len(q.options)))
    first_options = re.search(r"<ol class='options'>(.*?)</ol>", page).group(1)
    shown = re.findall(r"<li>(.*?)</li>", first_options)
    assert shown[order.index(q.correct)] == html.escape(q.options[q.correct])
    assert letters[0] == "ABCD"[order.index(q.correct)]


def test_every_session_has_an_open_exit_ticket(course, tmp_path):
    for track in course.tracks.values():
        for session in track.sessions:
            assert session.exit_ticket.strip().endswith((".", "?")), (track.id, session.title)
    meta = _good_meta()
    root = _write_course(tmp_path, meta)
    track_file = root / "tracks" / "t.md"
    text = track_file.read_text(encoding="utf-8")
    assert "exit_ticket" not in text  # the helper writes a session without one: it must be refused
    with pytest.raises(L.LessonError, match="exit_ticket"):
        L.load_course(root)


def test_detector_output_is_a_fake_score_not_a_probability(course):
    """Wherever a lesson or the notes mention 'probability', it is to say the fake score is not one."""
    texts = [(lesson.id, lesson.body + " ".join(q.prompt + " ".join(q.options) + q.explanation
                                                 for q in lesson.questions) + lesson.summary)
             for lesson in course.lessons.values()]
    texts += [(track.id, track.notes) for track in course.tracks.values()]
    for name, text in texts:
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            if re.search(r"probabilit", sentence, re.I):
                assert re.search(r"\bnot\b|n't", sentence), f"{name}: {sentence!r}"
    assert "fake score" in course.lessons["05-how-detectors-work"].body


def test_report_card_is_rendered_from_the_card(course):
    text = L.lesson_markdown(course.lessons["05-how-detectors-work"], course, FAKE_CARD)
    assert "| other swaps | 0.310 | 50 | worse than a coin toss: ranks this kind backwards | 10% | 40% |" in text
    assert "below 25" in text and "from 70" in text  # thresholds as fake scores out of 100
    assert "about 5% of held-out real faces" in text
    notes = L.track_notes(course.tracks["classroom"], FAKE_CARD)
    assert "| Sample A (real) | real photo | 61 | uncertain |" in notes
    assert L.fill_card("{{card.score:training_data}} {{card.pct:nope}}", FAKE_CARD) == f"{L.MISSING_KEY} {L.MISSING_KEY}"
    assert L.auc_reading(0.5) == "about a coin toss" and L.auc_reading(0.95) == "good ranking"


def test_glossary_links_resolve_and_broken_ones_are_refused(course, tmp_path):
    assert {"auc", "fake-score", "deployer", "false-alarm", "calibrated", "provenance"} <= set(course.glossary)
    linked = {s for lesson in course.lessons.values() for s in L.glossary_links(lesson.body)}
    assert linked and linked <= set(course.glossary)
    (tmp_path / "glossary.md").write_text("# G\n\n## AUC\nArea under the curve.\n", encoding="utf-8")
    ok = _write_course(tmp_path, _good_meta(), body="An [AUC](glossary.md#auc). " + "Text " * 50)
    _add_exit_ticket(ok)
    assert list(L.load_course(ok).glossary) == ["auc"]
    bad = _write_course(tmp_path, _good_meta(), body="A [word](glossary.md#nope). " + "Text " * 50)
    _add_exit_ticket(bad)
    with pytest.raises(L.LessonError, match="glossary term '#nope'"):
        L.load_course(bad)
    (tmp_path / "glossary.md").write_text("## AUC\nOne.\n## auc\nTwice.\n", encoding="utf-8")
    with pytest.raises(L.LessonError, match="twice"):
        L.load_course(ok)


def test_page_shuffles_options_per_learner_and_shows_the_exit_ticket():
    at = _page().run()
    seed = at.session_state["lessons_seed"]
    q = L.load_course().lessons["01-what-is-a-deepfake"].questions[0]
    radio = at.radio(key="lq_01-what-is-a-deepfake#0")
    assert radio.options == [q.options[j] for j in L.option_order("01-what-is-a-deepfake#0", len(q.options), seed)]
    at.run()  # a rerun keeps the order
    assert at.radio(key="lq_01-what-is-a-deepfake#0").options == radio.options
    assert not [t for t in at.text_area if t.key and t.key.startswith("ticket_")]  # not the end of a session
    course = L.load_course()
    track = course.tracks["classroom"]
    last = track.sessions[0].items[-1].lesson
    at.selectbox(key="lessons_pos_classroom").set_value(track.lesson_ids.index(last)).run()
    assert not at.exception
    tickets = [t for t in at.text_area if t.key and t.key.startswith("ticket_")]
    assert len(tickets) == 1 and tickets[0].label == track.sessions[0].exit_ticket
    tickets[0].input("A blending seam at the jaw; the score is a ranking, not proof.").run()
    assert any("Saved in this browser tab" in c.value for c in at.caption)


def test_privacy_page_opens_with_a_plain_words_headline():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "about.py"), default_timeout=180).run()
    assert not at.exception
    headline = at.info[0].value
    assert headline.startswith("**In plain words.**") and "fake score" in headline and "not a probability" in headline


def test_page_renders_every_lesson_of_the_classroom_track():
    at = _page().run()
    course = L.load_course()
    ids = course.tracks["classroom"].lesson_ids
    for pos, lid in enumerate(ids):
        at.selectbox(key="lessons_pos_classroom").set_value(pos).run()
        assert not at.exception, lid
        assert at.header[0].value == course.lessons[lid].title
        assert "{{" not in " ".join(m.value for m in at.markdown), lid


def test_shift_headings_leaves_code_blocks_alone():
    """A shell comment inside a fenced block is code, not a heading (the model card's retrain commands)."""
    from core.classroom.lessons import shift_headings

    text = "# Title\n## Part\n```bash\n# rerun to resume\npython x\n```\n## Next\n####### not a heading\n"
    assert shift_headings(text, 1) == ("## Title\n### Part\n```bash\n# rerun to resume\npython x\n```\n"
                                      "### Next\n####### not a heading\n")
    assert shift_headings("##### Deep\n", 3) == "###### Deep\n"  # at most h6
