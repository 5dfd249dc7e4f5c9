"""Teacher: run a class session of Spot the fake and watch the class against the detector, live."""

import time

import streamlit as st

from core.classroom.quiz_stats import Response, compare, hardest_first
from core.classroom.store import (MIN_PASSCODE_LENGTH, TooManyTries, passcode_too_short, teacher_passcode,
                                  verify_teacher)
from core.config import setting
from ui.classroom import (clear_teacher_cookie, comparison_metrics, confusion_figure, get_gallery, item_difficulty,
                          open_store, refresh_gallery, set_teacher_cookie, show_chart, teacher_cookie, thumbnail)
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

store = open_store()
if store is None:
    st.stop()
if not st.session_state.get("teacher_ok") and store.teacher_login_valid(teacher_cookie(), client_address()):
    # A reload in the same browser session: its cookie holds a sign-in the database knows (see ui.classroom).
    st.session_state["teacher_ok"] = True
    st.session_state["teacher_token"] = teacher_cookie()
if not st.session_state.get("teacher_ok"):
    if st.session_state.pop("teacher_forget_cookie", False):
        clear_teacher_cookie()
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
                st.session_state["teacher_token"] = store.open_teacher_login(client_address())
                st.rerun()
            st.error("That passcode is not right.", icon=":material/block:")
    st.stop()

token = st.session_state.get("teacher_token")
if token and token != teacher_cookie():
    set_teacher_cookie(token)  # so a reload in this browser session stays signed in
if st.sidebar.button("Lock the teacher view", key="teacher_lock"):
    store.close_teacher_login(st.session_state.pop("teacher_token", None))
    store.close_teacher_login(teacher_cookie())
    st.session_state.pop("teacher_ok", None)
    st.session_state["teacher_forget_cookie"] = True
    st.rerun()

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
    builtin = [it for it in gallery.items if it.source == "built-in"]
    if builtin:
        right = sum(gallery.detector_correct(it.id) for it in builtin)
        st.caption(f"Built-in pictures: {len(builtin)}, of {len(gallery.people())} different adults (public-domain "
                   f"official portraits; names are never shown). The detector is right on {right} of them: its fakes "
                   "were chosen so that it catches some and misses others, so the quiz is no measure of the "
                   "detector (the model card is).")
    with st.form("teacher_new"):
        title = st.text_input("Name (optional, e.g. the class)", max_chars=80, key="teacher_title")
        sources = {"all": "All pictures", "built-in": "Built-in pictures only", "teacher": "My collection only"}
        available = ["all"] + [s for s in ("built-in", "teacher") if any(it.source == s for it in gallery.items)]
        source = st.selectbox("Pictures", available, format_func=sources.get, key="teacher_source")
        n_items = st.slider("Pictures per student", 4, min(30, len(gallery.items)), min(12, len(gallery.items)),
                            key="teacher_n")
        no_swaps = st.checkbox("No identity swaps (real photos and self-blends only)", key="teacher_no_swaps",
                               help="Leaves out the face swaps between two real people, who never agreed to them.")
        create = st.form_submit_button("Start session", type="primary")
    if create:
        ids = gallery.pick(n_items, seed=time.time_ns(), source=source, identity_swaps=not no_swaps)
        session = store.create_session(ids, title=title, model_version=gallery.model_version,
                                       no_identity_swaps=no_swaps)
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
                               f"{s.created_at:%Y-%m-%d %H:%M}" + (" · no identity swaps" if s.no_identity_swaps else "")
                               for s in sessions if s.id == i))
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
    show_chart(item_difficulty(c.items), key="teacher_difficulty")
    with st.expander("The pictures, hardest first", expanded=True):
        rows = hardest_first(c.items)
        per_row = 4
        for start in range(0, len(rows), per_row):
            for col, (k, row) in zip(st.columns(per_row), enumerate(rows[start:start + per_row], start + 1)):
                item = gallery.get(row.item_id)
                thumb = thumbnail(item)
                if thumb is not None:
                    col.image(thumb, width="stretch", alt=f"picture {k}: {item.title}")
                else:
                    col.markdown(":material/movie: *a video*")
                det = "–" if row.detector_prob is None else f"{100 * row.detector_prob:.0f}"
                col.caption(f"**{k}. {item.description}**  \nclass right {row.accuracy:.0%} of {row.n} · "
                            f"detector {'right' if row.detector_correct else 'wrong'} (fake score {det})")
    left, right = st.columns(2)
    show_chart(confusion_figure(c.people_confusion, "Class: truth vs answer"), key="teacher_cm_class", where=left)
    show_chart(confusion_figure(c.detector_confusion, "Detector on the same answers"), key="teacher_cm_detector",
               where=right)
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
