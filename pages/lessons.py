"""Lessons: pick a track, read a lesson, answer its check questions, then try the idea in the linked lab.

Progress (current lesson per track, answers, first-try results, exit tickets) lives in st.session_state, so it
lasts for this browser tab and is never stored on the server. Each tab gets its own random seed, so every
learner sees the check-question options in a different order that stays put while they work.
"""

from __future__ import annotations

import json
import secrets

import streamlit as st

from core.classroom.lessons import (LESSONS_DIR, Course, Figure, Lesson, LessonError, Track, glossary_links,
                                    lesson_markdown, load_course, load_model_card, make_selfblend_figure, option_order,
                                    render_handout, rewrite_lesson_links, sample_title, split_figures, track_notes)
from ui.errors import show_error
from ui.handover import send_preset
from ui.pages import PAGES, page_titles, preset_key, registered_pages

PROGRESS = "lessons_progress"  # {"answers": {qkey: option index}, "first": {qkey: right on first try}}
SEED = "lessons_seed"  # this tab's random seed for the order of check-question options
TICKETS = "lessons_exit_tickets"  # {track id + session title: the learner's answer}


def _fingerprint() -> tuple:
    """Changes whenever a lesson or track file changes, so edits show up without restarting the app."""
    return tuple(sorted((str(p), p.stat().st_mtime_ns) for p in LESSONS_DIR.rglob("*.md")))


@st.cache_data(show_spinner=False, max_entries=2)
def _course(fingerprint: tuple) -> Course:
    return load_course(pages=page_titles())


@st.cache_data(show_spinner="Drawing the illustration with the lab's face detector…", max_entries=2)
def _figure(name: str) -> Figure | None:
    if name != "selfblend":
        return None
    from ui.resources import get_lab

    return make_selfblend_figure(get_lab().extractor)


def _safe_figure(name: str) -> Figure | None:
    try:
        return _figure(name)
    except Exception:  # an illustration must never take the lesson down with it
        return None


@st.cache_data(show_spinner=False, max_entries=6)
def _handout(track_id: str, fingerprint: tuple, card_json: str) -> str:
    course = _course(fingerprint)
    card = json.loads(card_json) if card_json else None
    return render_handout(course.tracks[track_id], course, card, {"selfblend": _safe_figure("selfblend")})


def _progress() -> dict:
    return st.session_state.setdefault(PROGRESS, {"answers": {}, "first": {}})


def _qkey(lesson: Lesson, i: int) -> str:
    return f"{lesson.id}#{i}"


def _shown_questions(lesson: Lesson, track: Track):
    return lesson.questions if track.show == "full" else lesson.questions[:1]


def _lesson_done(lesson: Lesson, track: Track) -> bool:
    answers = _progress()["answers"]
    return all(_qkey(lesson, i) in answers for i in range(len(_shown_questions(lesson, track))))


def _try_it(page: str, label: str, preset: str | None, registered: set[str], key: str, primary: bool) -> None:
    """A button that opens the lab page with the sample preloaded, or a note if the page is not installed."""
    if page not in registered:
        st.caption(f":material/science: Lab: **{label}** — coming soon (`{page}` is not installed in this lab yet).")
        return
    with_sample = f" with the {sample_title(preset)} sample" if preset else ""
    if st.button(f":material/science: Try it: open {label}{with_sample}", key=key,
                 type="primary" if primary else "secondary"):
        if preset:
            send_preset(preset_key(page), preset)
        st.switch_page(page)


def _seed() -> str:
    return st.session_state.setdefault(SEED, secrets.token_hex(8))


def _question(lesson: Lesson, i: int) -> None:
    q = lesson.questions[i]
    qkey = _qkey(lesson, i)
    prog = _progress()
    order = option_order(qkey, len(q.options), _seed())  # the values stay the original option indices
    saved = prog["answers"].get(qkey)
    choice = st.radio(f"**Q{i + 1}.** {q.prompt}", order, format_func=lambda j: q.options[j],
                      index=order.index(saved) if saved in order else None, key=f"lq_{qkey}")
    if choice is None:
        return
    prog["answers"][qkey] = choice
    prog["first"].setdefault(qkey, choice == q.correct)
    if choice == q.correct:
        st.success(f"**Right.** {q.explanation}", icon=":material/check_circle:")
    else:
        st.error(f"**Not quite.** The answer is: *{q.options[q.correct]}* — {q.explanation}",
                 icon=":material/cancel:")


def _exit_ticket(track: Track, lesson: Lesson) -> None:
    """The session's one open question, at the end of its last lesson; the answer stays in this tab only."""
    session = track.session_of(lesson.id)
    st.subheader("Exit ticket")
    key = f"{track.id}|{session.title}"
    answer = st.text_area(session.exit_ticket, value=st.session_state.setdefault(TICKETS, {}).get(key, ""),
                          max_chars=1000, key=f"ticket_{key}", placeholder="A sentence or two in your own words.")
    st.session_state[TICKETS][key] = answer
    if answer.strip():
        st.caption("Saved in this browser tab. Share it with your teacher the way they ask (or read it out).")


def _glossary(course: Course, slugs: list[str], label: str) -> None:
    terms = [course.glossary[s] for s in slugs if s in course.glossary]
    if terms:
        with st.expander(label):
            st.markdown("\n\n".join(f"**{t.term}.** {rewrite_lesson_links(t.definition, course)}" for t in terms))


def _go(key: str, pos: int) -> None:
    st.session_state[key] = pos


st.title(":material/menu_book: Lessons")
try:
    fingerprint = _fingerprint()
    course = _course(fingerprint)
except LessonError as err:
    show_error(err, before="The lesson files could not be loaded:")
    st.stop()
except OSError as err:
    st.error(f"The lesson files could not be loaded: {err}", icon=":material/block:")
    st.stop()

tracks = sorted(course.tracks.values(), key=lambda t: -t.minutes)  # classroom, workshop, demo
track_id = st.radio("Track", [t.id for t in tracks], horizontal=True, key="lessons_track",
                    format_func=lambda t: f"{course.tracks[t].title.split(' — ')[0]} · {course.tracks[t].minutes} min")
track = course.tracks[track_id]
st.markdown(f"{track.summary}  \n*For {track.audience}.*")

card = load_model_card()
left, right = st.columns([3, 2])
with left:
    with st.expander("Facilitator notes: timing, discussion questions, what to show"):
        st.markdown(track_notes(track, card))
with right:
    st.download_button(":material/download: Printable handout (HTML)", key="lessons_handout",
                       data=lambda: _handout(track.id, fingerprint, json.dumps(card) if card else ""),
                       file_name=f"deepfake-lab-{track.id}-handout.html", mime="text/html", on_click="ignore",
                       help="One self-contained page: open it in a browser and print. Answers and sources at the end.")

lessons = course.lessons_of(track.id)
done = sum(_lesson_done(lesson, track) for lesson in lessons)
firsts = [v for k, v in _progress()["first"].items() if k.split("#")[0] in {l.id for l in lessons}]
score = f"{sum(firsts)} of {len(firsts)} questions right first time" if firsts else "no questions answered yet"
st.progress(done / len(lessons), text=f"{done} of {len(lessons)} lessons done · {score}")

pos_key = f"lessons_pos_{track.id}"
pos = st.selectbox("Lesson", range(len(lessons)), key=pos_key,
                   format_func=lambda i: f"{'✓' if _lesson_done(lessons[i], track) else '○'} {i + 1}. "
                                         f"{lessons[i].title} · {track.minutes_for(lessons[i].id)} min")
lesson = lessons[pos]
registered = registered_pages()

st.header(lesson.title)
st.caption(f"{track.minutes_for(lesson.id)} minutes · for {', '.join(lesson.audience)}")
st.info(f"**Key idea.** {lesson.summary}", icon=":material/lightbulb:")
st.markdown("**You will be able to:**\n" + "\n".join(f"- {o}" for o in lesson.objectives))

if track.show == "full":
    for kind, part in split_figures(lesson_markdown(lesson, course, card, heading_shift=1)):
        if kind == "md":
            st.markdown(part)
            continue
        fig = _safe_figure(part)
        if fig is None:
            st.caption("(The illustration needs the lab's face detector, which is not available right now.)")
            continue
        cols = st.columns(len(fig.images))
        for col, (name, png) in zip(cols, fig.images.items()):
            col.image(png, caption=name, width="stretch", alt=f"illustration: {name}")
        st.caption(fig.caption)

st.subheader("Try it")
_try_it(lesson.lab, lesson.lab_title, lesson.preset, registered, key=f"try_{lesson.id}", primary=True)
for n, extra in enumerate(lesson.more_labs):  # further labs open on their own defaults
    _try_it(extra, PAGES[extra].title if extra in PAGES else extra, None, registered, key=f"try_{lesson.id}_{n}", primary=False)

st.subheader("Check yourself")
for i in range(len(_shown_questions(lesson, track))):
    _question(lesson, i)

if track.ends_session(lesson.id):
    _exit_ticket(track, lesson)

if track.show == "full":
    _glossary(course, glossary_links(lesson.body), ":material/menu_book: Words used in this lesson")
if lesson.sources and track.show == "full":
    with st.expander("Sources"):
        st.markdown("\n".join(f"- {s}" for s in lesson.sources))
_glossary(course, list(course.glossary), ":material/menu_book: Glossary: every term")

prev_col, _, next_col = st.columns([1, 2, 1])
prev_col.button("← Previous", disabled=pos == 0, on_click=_go, args=(pos_key, pos - 1), key="lessons_prev",
                width="stretch")
next_col.button("Next →", disabled=pos == len(lessons) - 1, on_click=_go, args=(pos_key, pos + 1),
                key="lessons_next", width="stretch")
