"""How the lab looks on every screen, in one place: app.py calls :func:`apply` on every run, before the page.

- **Every screen:** a small stylesheet for phones and accessibility (wide Markdown tables and code wrap instead
  of widening a phone's page, captions dark enough to read, big touch-sized quiz buttons) and a script that
  repairs the sidebar navigation's list markup for screen readers.
- **Projector mode:** a session setting (a sidebar toggle; kept in ``st.session_state``, never in the address)
  for a teacher showing the lab on a projector: large type, no sidebar (the pages move to a menu bar at the
  top), and a "Leave projector mode" button at the top of every page.
"""

from __future__ import annotations

import streamlit as st

PROJECTOR = "presentation_projector"  # session-state key of the sidebar toggle

# Colours are WCAG AA (4.5:1) against the white page and the pale alert backgrounds.
BASE_CSS = """
/* Captions: Streamlit draws them in the text colour at 60% opacity (#828180, 3.9:1 on white); this grey is
   6.5:1 on white and still above 4.5:1 on the tinted alert backgrounds. */
[data-testid=stCaptionContainer], [data-testid=stImageCaption], [data-testid=stCaptionContainer] * {
  color: #5e5d5b; opacity: 1;
}
/* On a phone, wide Markdown tables (the model card) scroll sideways inside their own box and long code lines
   wrap, rather than widening the whole page; long links in table cells may break anywhere. */
[data-testid=stMarkdownContainer] td a, [data-testid=stTable] td { overflow-wrap: anywhere; }
/* (Code blocks set white-space inline; wrapped, they also need no keyboard-scrollable box.) */
[data-testid=stMain] pre, [data-testid=stMain] pre code { white-space: pre-wrap !important; overflow-wrap: anywhere; }
@media (max-width: 640px) {
  [data-testid=stMarkdownContainer] table { display: block; max-width: 100%; overflow-x: auto; font-size: 0.8rem; }
  [data-testid=stMarkdownContainer] th, [data-testid=stMarkdownContainer] td { padding: 0.25rem; }
}
/* Code shown inside an alert box: the syntax colours are too pale on its tinted background. */
[data-testid=stAlertContainer] pre code * { color: inherit !important; }
/* The quiz is played on phones: buttons (full width, set in pages/quiz.py) and answer choices big enough for
   a thumb. */
.st-key-quiz_play button, .st-key-quiz_start button, [class*=st-key-quiz_next_] button { min-height: 3.25rem; }
.st-key-quiz_play button p, .st-key-quiz_start button p, [class*=st-key-quiz_next_] button p { font-size: 1.15rem; }
.st-key-quiz_play [role=radiogroup] label { padding: 0.5rem 1.25rem 0.5rem 0; }
.st-key-quiz_play [role=radiogroup] label p { font-size: 1.15rem; }
"""

PROJECTOR_CSS = """
/* Streamlit sizes text in rem: a larger root font enlarges all of it. */
html { font-size: 24px; }
[data-testid=stSidebar], [data-testid=stSidebarCollapsedControl], [data-testid=stExpandSidebarButton] {
  display: none;
}
[data-testid=stMainBlockContainer] { max-width: none; padding: 3.5rem 3rem 3rem; }
"""

# Streamlit's sectioned sidebar navigation puts <div>s (one per section) between its <ul> and the <li>s,
# which screen readers and axe reject. Each section becomes the list (named after its header) and the <ul> a
# plain container; a MutationObserver reapplies it whenever Streamlit redraws the sidebar.
NAV_SCRIPT = """
<script>
if (!window.__labNavA11y) {
  window.__labNavA11y = true;
  const fix = () => {
    const ul = document.querySelector('[data-testid=stSidebarNavItems]');
    if (!ul || ul.getAttribute('role') === 'none') return;
    ul.setAttribute('role', 'none');
    for (const section of ul.children) {
      if (section.tagName !== 'DIV') continue;
      section.setAttribute('role', 'list');
      const header = section.querySelector('[data-testid=stNavSectionHeader]');
      if (header) section.setAttribute('aria-label', header.innerText.trim());
    }
  };
  new MutationObserver(fix).observe(document.body, {childList: true, subtree: true});
  fix();
}
</script>
"""


def projector_on() -> bool:
    """Whether this browser session is in projector mode."""
    return bool(st.session_state.get(PROJECTOR, False))


def _leave_projector() -> None:
    st.session_state[PROJECTOR] = False


def apply() -> bool:
    """The lab's stylesheet, the navigation fix and the projector-mode controls; returns whether projector mode
    is on (app.py then puts the page menu at the top instead of in the hidden sidebar)."""
    # No :material/ icon in a widget label: Streamlit passes the label to aria-label verbatim.
    on = st.sidebar.toggle("Projector mode", key=PROJECTOR,
                           help="Large type and no sidebar, for showing the lab on a projector or a big screen. "
                                "A button at the top of every page switches it off again.")
    st.html("<style>" + BASE_CSS + (PROJECTOR_CSS if on else "") + "</style>")
    st.sidebar.html(NAV_SCRIPT, unsafe_allow_javascript=True)
    if on:
        st.button(":material/close_fullscreen: Leave projector mode", key="presentation_leave",
                  on_click=_leave_projector)
    return on
