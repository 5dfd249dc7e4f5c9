"""Streamlit helpers shared by the pages: cached engine, inputs, drawing. Pages stay thin."""


def _leave_legacy_page_mode() -> None:
    """Make a server's first visitor see app.py's navigation, whichever page address they opened.

    Streamlit decides per process, on its first script run, whether an app with a ``pages/`` folder is an old
    folder-based multipage app; it only learns otherwise once ``app.py`` calls ``st.navigation``. Until then a
    direct link (a QR code to the quiz, say) runs the page file alone: raw file names in the sidebar and no
    ``set_page_config``. Every page imports this package, so on such a run it switches the mode off and runs
    the script again, which now goes through app.py.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:  # a Streamlit without this mechanism has nothing to undo
        return
    if PagesManager.uses_pages_directory and get_script_run_ctx() is not None:
        import streamlit as st

        PagesManager.uses_pages_directory = False
        st.rerun()


_leave_legacy_page_mode()
