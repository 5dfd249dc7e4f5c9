"""Spot the fake: real or fake, one picture at a time, then your score against the detector's."""

import time

import streamlit as st

from core.classroom.quiz import QuizRun, tally
from core.classroom.quiz import resume as resume_records
from core.classroom.quiz_stats import Response, by_kind, compare, confidence_note
from core.classroom.store import StoreError
from ui.classroom import (accuracy_by_kind, comparison_metrics, face_heatmap, get_gallery, open_store,
                          right_wrong_grid, show_chart, show_item)
from ui.errors import show_error
from ui.jobs import client_address
from ui.resources import get_lab, untrained_warning

st.title(":material/quiz: Spot the fake")
st.markdown(
    "Real or fake? Look at each picture, answer, and say how sure you are. After each answer you see the truth, "
    "what the lab's detector said and where it looked. At the end you compare your mistakes with the detector's: "
    "researchers found that people and machines get *different* pictures wrong (Groh et al., PNAS 2022)."
)

lab = get_lab()
untrained_warning(lab)
gallery = get_gallery(lab)
if len(gallery.items) < 2:
    st.error("The quiz has no pictures to show. Ask whoever runs the lab to check its data folder.",
             icon=":material/block:")
    st.stop()

quiz = st.session_state.get("quiz")


def start(item_ids: list[str], *, records: list[Response] = (), **seat) -> None:
    st.session_state["quiz"] = QuizRun.start(item_ids, records, **seat)
    st.rerun()


def resume(store, token: str, session, items: list[str]) -> None:
    """Start (or, after a reload and rejoin, continue) this student's quiz: their own saved answers are
    read back and the quiz continues at the first unanswered picture. The seat's token stays in this
    browser session's memory only, never in the address (which a student could share)."""
    saved = [Response(a.item_id, a.answer, a.truth, a.confidence, "you") for a in store.my_answers(token)]
    part = store.participant(token)
    start(items, records=resume_records(items, saved), token=token, nickname=part.nickname if part else "",
          code=session.code,
          session_title=session.title)


# ---- setting up -------------------------------------------------------------------------------------------------
if "seat" in st.query_params:  # addresses from older versions carried the seat's token: drop it
    del st.query_params["seat"]
if quiz is None:
    mode = st.radio("How do you want to play?", ["On my own", "With my class"], horizontal=True, key="quiz_mode")
    if mode == "On my own":
        sources = {"all": "All pictures", "built-in": "Built-in pictures", "teacher": "My teacher's collection"}
        available = ["all"] + [s for s in ("built-in", "teacher") if any(it.source == s for it in gallery.items)]
        source = (st.radio("Pictures", available, format_func=sources.get, horizontal=True, key="quiz_source")
                  if len(available) > 2 else "all")
        no_swaps = st.toggle("No identity swaps", key="quiz_no_swaps",
                             help="Only real photos and self-blends (a face pasted back onto itself): no pictures "
                                  "where one real person's face was put on another's.")
        pool = len(gallery.pool(source, identity_swaps=not no_swaps))
        if pool < 2:
            st.warning("Too few pictures for a quiz with these choices.")
            st.stop()
        n = st.slider("How many pictures?", min_value=min(2, pool), max_value=min(20, pool),
                      value=min(10, pool), key="quiz_n")
        if st.button("Start the quiz", type="primary", key="quiz_start", width="stretch"):
            start(gallery.pick(n, seed=time.time_ns(), source=source, identity_swaps=not no_swaps))
    else:
        st.caption("Type the code your teacher shows and a **made-up nickname** (not your real name). Only your "
                   "teacher sees your answers, under that nickname; other students never do. If the page reloads, "
                   "type the same code and nickname again on the same device: you continue where you left off.")
        with st.form("quiz_join"):
            code = st.text_input("Join code", max_chars=12, key="quiz_code")
            nickname = st.text_input("Nickname", max_chars=24, key="quiz_nickname")
            joined = st.form_submit_button("Join", type="primary", width="stretch")
        if joined:
            store = open_store()
            if store is not None:
                try:
                    part, session = store.join(code, nickname, client=client_address())
                except StoreError as err:
                    show_error(err)
                else:
                    missing = [i for i in session.item_ids if gallery.get(i) is None]
                    items = [i for i in session.item_ids if gallery.get(i) is not None]
                    if session.no_identity_swaps:  # the teacher's choice holds even if the gallery changed
                        items = [i for i in items if not gallery.get(i).identity_swap]
                    if missing:
                        st.warning(f"{len(missing)} of this session's pictures are not on this computer; "
                                   "they are skipped.")
                    if not items:
                        st.error("None of this session's pictures are available here. Tell your teacher.")
                    else:
                        resume(store, part.token, session, items)
    st.stop()

# ---- one item at a time -------------------------------------------------------------------------------------------
n = len(quiz.items)
if quiz.token:
    st.caption(f"Class session **{quiz.code}** {('· ' + quiz.session_title) if quiz.session_title else ''}"
               f" · you are **{quiz.nickname}**")

if quiz.phase in ("ask", "reveal"):
    i = quiz.i
    item = gallery.get(quiz.item)
    score = gallery.scores[item.id]
    st.progress(i / n, text=f"Picture {i + 1} of {n}")
    # Phone-first: one column (the picture, then the answer below it), at most 720 px wide on a big screen;
    # ui/presentation.py makes the controls in this container thumb-sized.
    left = right = st.container(key="quiz_play", width=720)

    if quiz.phase == "ask":
        quiz.mark_shown(time.monotonic())
        with left:
            show_item(item)
        with right:
            with st.form(f"quiz_answer_{i}"):
                choice = st.radio("Is this face real or fake?", ["Real", "Fake"], index=None, horizontal=True,
                                  key=f"quiz_choice_{i}")
                confidence = st.slider("How sure are you?", min_value=50, max_value=100, value=70, step=5,
                                       format="%d%%", key=f"quiz_conf_{i}",
                                       help="50% means a pure guess, 100% means certain.")
                answered = st.form_submit_button("Answer", type="primary", width="stretch")
            if answered and choice is None:
                st.warning("Choose real or fake first.")
            elif answered:
                answer = int(choice == "Fake")
                took_ms = quiz.answer(answer, item.label, confidence / 100, time.monotonic())
                if quiz.token:
                    store = open_store()
                    try:
                        if store is not None:
                            store.submit_answer(quiz.token, item.id, answer, item.label, confidence / 100, took_ms)
                    except StoreError as err:
                        quiz.store_error = str(err)
                st.rerun()
        st.stop()

    # reveal
    rec = quiz.records[-1]
    right_answer = rec.answer == rec.truth
    if quiz.store_error is not None:
        quiz.store_error = None
        st.warning("Your answer could not be saved for your teacher (the session may be closed); you can still "
                   "finish the quiz.", icon=":material/database:")
    with left:
        show_item(item)
    with right:
        truth = "**fake**" if item.label else "**real**"
        (st.success if right_answer else st.error)(
            f"{'Right' if right_answer else 'Not this time'}: this picture is {truth}. {item.title}.")
        if score.fake_prob is None:
            st.markdown("**The detector** found no face, so it flags nothing (counts as answering *real*).")
        else:
            det = "fake" if score.says_fake else "real"
            ok = "right" if gallery.detector_correct(item.id) else "wrong"
            st.markdown(f"**The detector** gives it a fake score of {100 * score.fake_prob:.0f} "
                        f"(*{score.verdict}*), so it answers **{det}**: {ok}.")
        heat = face_heatmap(lab, gallery, item)
        if heat is not None:
            a, b = st.columns(2)
            a.image(heat[0], caption="the face the detector saw", width="stretch",
                    alt="the face crop the detector scored")
            b.image(heat[1], caption="Grad-CAM: where it found evidence of \"fake\" (yellow = most)", width="stretch",
                    alt="Grad-CAM heatmap over the face crop: yellow = most evidence for manipulated")
        st.info(item.tip, icon=":material/lightbulb:")
    if st.button("See my results" if quiz.is_last else "Next picture", type="primary", key=f"quiz_next_{quiz.i}",
                 width="stretch"):
        quiz.next()
        st.rerun()
    st.stop()

# ---- results -----------------------------------------------------------------------------------------------------
responses = quiz.records
result = compare(responses, gallery)
counts = tally(responses, gallery.detector_correct)
st.header("Your results")
st.markdown(f"You got **{counts.you_right} of {counts.n}** right; the detector got **{counts.detector_right} of "
            f"{counts.n}** right on the same pictures.")
comparison_metrics(result, who="You")
labels = [f"{k + 1}" for k in range(len(responses))]
hover = [f"{k + 1}. {gallery.get(r.item_id).title}" for k, r in enumerate(responses)]
show_chart(right_wrong_grid(labels, hover, [r.answer == r.truth for r in responses],
                            [gallery.detector_correct(r.item_id) for r in responses]), key="quiz_grid")
show_chart(accuracy_by_kind(by_kind(responses, gallery)), key="quiz_by_kind")
st.markdown(f"Wrong **only you**: {counts.only_you_wrong} · wrong **only the detector**: {counts.only_detector_wrong} "
            f"· wrong **both**: {counts.both_wrong}. "
            "Where you and the detector fail on different pictures, a person and a detector together do better "
            "than either alone.")
note = confidence_note(responses)  # a conclusion only when the slider was used and there are enough answers
if note:
    st.markdown(note)
if not gallery.model_trained:
    st.caption("The detector here is untrained, so its answers are coin flips; compare again once the trained "
               "model is installed.")
if quiz.token:
    store = open_store()
    saved = len(store.my_answers(quiz.token)) if store is not None else 0
    st.caption(f"{saved} of your answers are saved for your teacher under the nickname **{quiz.nickname}**.")
if st.button("Play again", key="quiz_again", width="stretch"):
    del st.session_state["quiz"]
    st.rerun()
