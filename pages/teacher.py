"""Teacher: run a class session of Spot the fake and watch the class against the detector, live."""

import time

import streamlit as st

from core.classroom.quiz_stats import Response, compare
from core.classroom.store import (MIN_PASSCODE_LENGTH, TooManyTries, passcode_too_short, teacher_passcode,
                                  verify_teacher)
from core.config import setting
from ui.classroom import (comparison_metrics, confusion_figure, get_gallery, item_difficulty, open_store,
                          refresh_gallery)
from ui.jobs import client_address
from ui.resources import get_lab, untrained_warning

st.title(":material/co_present: Teacher")

if passcode_too_short():
    st.error(
        f"The teacher view is **closed** because the passcode set in `LAB_TEACHER_PASSCODE` is shorter than "
        f"{MIN_PASSCODE_LENGTH} characters, which a student could guess. Restart the lab with a longer one, "
        "for example a few unrelated words.", icon=":material/lock:")
    st.stop()

if teacher_passcode() is None:
    st.info(
        "The teacher view is **closed** because no passcode is set. Whoever runs the lab sets one with the "
        "environment variable `LAB_TEACHER_PASSCODE` when starting it, for example:\n\n"
        "```bash\nLAB_TEACHER_PASSCODE='choose-a-long-passphrase' make run\n```\n\n"
        "Then open this page again and type that passcode. Students playing **Spot the fake** never need it.",
        icon=":material/lock:",
    )
    st.stop()

if not st.session_state.get("teacher_ok"):
    # Wrong tries are counted by the server, per address and over all addresses (core.classroom.throttle):
    # a new tab or browser session does not start with a clean slate.
    with st.form("teacher_login"):
        passcode = st.text_input("Teacher passcode", type="password", key="teacher_passcode")
        submitted = st.form_submit_button("Open the teacher view", type="primary")
    if submitted:
        try:
            ok = verify_teacher(passcode, client_address())
        except TooManyTries as err:
            st.error(str(err), icon=":material/hourglass_empty:")
        else:
            if ok:
                st.session_state["teacher_ok"] = True
                st.rerun()
            st.error("That passcode is not right.", icon=":material/block:")
    st.stop()

if st.sidebar.button("Lock the teacher view", key="teacher_lock"):
    st.session_state.pop("teacher_ok", None)
    st.rerun()

store = open_store()
if store is None:
    st.stop()
lab = get_lab()
untrained_warning(lab)
gallery = get_gallery(lab)
if gallery.notes:
    with st.expander(f"Notes about the quiz pictures ({len(gallery.notes)})"):
        for note in gallery.notes:
            st.markdown(f"- {note}")

# ---- start a session ------------------------------------------------------------------------------------------
with st.expander("Start a new class session", expanded=not store.list_sessions(include_closed=False)):
    collection = setting("LAB_GALLERY_DIR")
    if collection:
        n_own = sum(it.source == "teacher" for it in gallery.items)
        st.caption(f"Your collection `{collection}`: {n_own} usable pictures and videos.")
        if st.button("Rescan my collection", key="teacher_rescan", help="After adding or removing files"):
            refresh_gallery()
            st.rerun()
    else:
        st.caption("To add your own pictures and short videos, start the lab with `LAB_GALLERY_DIR` set to a folder "
                   "holding `real/` and `fake/` subfolders, or a CSV file with `path,label` rows (label real or fake).")
    with st.form("teacher_new"):
        title = st.text_input("Name (optional, e.g. the class)", max_chars=80, key="teacher_title")
        sources = {"all": "All pictures", "built-in": "Built-in pictures only", "teacher": "My collection only"}
        available = ["all"] + [s for s in ("built-in", "teacher") if any(it.source == s for it in gallery.items)]
        source = st.selectbox("Pictures", available, format_func=sources.get, key="teacher_source")
        n_items = st.slider("Pictures per student", 4, min(30, len(gallery.items)), min(12, len(gallery.items)),
                            key="teacher_n")
        create = st.form_submit_button("Start session", type="primary")
    if create:
        ids = gallery.pick(n_items, seed=time.time_ns(), source=source)
        session = store.create_session(ids, title=title, model_version=gallery.model_version)
        st.session_state["teacher_session"] = session.id
        st.rerun()

sessions = store.list_sessions()
if not sessions:
    st.info("No sessions yet. Start one above; students then open **Spot the fake**, choose *With my class* and "
            "type the join code.")
    st.stop()
ids = [s.id for s in sessions]
current = st.session_state.get("teacher_session")
picked = st.selectbox(
    "Session", ids, index=ids.index(current) if current in ids else 0, key="teacher_pick",
    format_func=lambda i: next(f"{s.code} · {s.title or 'untitled'} · {'open' if s.is_open else 'closed'} · "
                               f"{s.created_at:%Y-%m-%d %H:%M}" for s in sessions if s.id == i))
st.session_state["teacher_session"] = picked
session = next(s for s in sessions if s.id == picked)

if session.is_open:
    st.markdown(f"Join code: <span style='font-size:3rem;font-weight:700;letter-spacing:0.3rem'>{session.code}</span>",
                unsafe_allow_html=True)
    st.caption("Students: open **Spot the fake** → *With my class* → type this code and a made-up nickname.")
else:
    st.caption(f"Session {session.code} is closed: no more answers are recorded.")
if session.model_version and session.model_version != gallery.model_version:
    st.warning(f"This session was started with detector {session.model_version}; the detector's answers below are "
               f"from the current one ({gallery.model_version}).")

live = st.toggle("Refresh every 5 seconds", value=False, key="teacher_live")


@st.fragment(run_every=5 if live else None)
def results() -> None:
    answers = store.session_answers(session.id)
    responses = [Response(a.item_id, a.answer, a.truth, a.confidence, a.nickname) for a in answers]
    c = compare(responses, gallery)
    a, b = st.columns(2)
    a.metric("Students joined", store.participant_count(session.id))
    b.metric("Answers", len(answers), help=f"{len(session.item_ids)} pictures per student")
    if not answers:
        st.info("No answers yet. They appear here as students answer.")
        return
    comparison_metrics(c, who="Class")
    if c.unknown_items:
        st.caption(f"{len(c.unknown_items)} answered pictures are no longer in the gallery and are left out.")
    st.plotly_chart(item_difficulty(c.items), width="stretch", key="teacher_difficulty")
    left, right = st.columns(2)
    left.plotly_chart(confusion_figure(c.people_confusion, "Class: truth vs answer"), width="stretch",
                      key="teacher_cm_class")
    right.plotly_chart(confusion_figure(c.detector_confusion, "Detector on the same answers"), width="stretch",
                       key="teacher_cm_detector")
    st.caption("Rows: what the picture truly is; columns: what was answered. Each student answer counts once, "
               "and the detector is counted on the same pictures, once per student answer.")


results()

extra = {i: {"detector_prob": "" if s.fake_prob is None else f"{s.fake_prob:.4f}",
             "detector_answer": "fake" if s.says_fake else "real", "kind": gallery.get(i).kind}
         for i, s in gallery.scores.items() if gallery.get(i) is not None}
st.download_button("Download answers (CSV)", store.export_csv(session.id, extra=extra),
                   file_name=f"spot-the-fake-{session.code}.csv", mime="text/csv", key="teacher_csv")

with st.expander("Participants"):
    people = store.participants(session.id)
    if not people:
        st.caption("Nobody has joined yet.")
    else:
        st.caption("Remove a nickname that should not be here (a joke name, a second seat): its answers are deleted "
                   "and that browser can no longer answer.")
        who = st.selectbox("Participant", [p[0] for p in people], key="teacher_participant",
                           format_func=lambda i: next(f"{n} · {c} answers" for pid, n, c in people if pid == i))
        if st.button("Remove this participant", key="teacher_remove"):
            store.remove_participant(session.id, who)
            st.rerun()

c1, c2 = st.columns(2)
with c1:
    if session.is_open and st.button("Close session", key="teacher_close",
                                     help="Stops new answers; the results stay."):
        store.close_session(session.id)
        st.rerun()
with c2:
    sure = st.checkbox("Yes, delete this session and all its answers", key="teacher_delete_sure")
    if st.button("Delete session", disabled=not sure, key="teacher_delete"):
        store.delete_session(session.id)
        st.session_state.pop("teacher_session", None)
        st.session_state.pop("teacher_delete_sure", None)
        st.rerun()
