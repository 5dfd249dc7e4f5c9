"""No emoji in the app's interface: on a machine without an emoji font (many school PCs, Debian without
fonts-noto-color-emoji) they render as empty boxes. Pages use Streamlit's bundled Material icons instead
(``:material/science:`` in text, ``icon=":material/science:"`` for st.Page, st.info, st.button, ...).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Pictographs, dingbats and symbols that fonts draw as emoji, plus the variation selector and zero-width joiner
# that make emoji sequences. Circled digits (①, U+2460–) are text and stay allowed.
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2300-\u23FF\u2B00-\u2BFF\uFE0F\u200D\u2139\u24C2]")
# Text-presentation check marks that ordinary text fonts (DejaVu, Liberation) draw; used in plotly cell text and
# selectbox options, where Material icons cannot go.
ALLOWED = {"✓", "✗"}


def interface_files() -> list[Path]:
    return [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]


def test_no_emoji_in_pages_ui_and_app():
    found = [f"{path.relative_to(ROOT)}:{n}: {ch!r} in {line.strip()[:80]}"
             for path in interface_files()
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             for ch in EMOJI.findall(line) if ch not in ALLOWED]
    assert not found, "emoji render as empty boxes without an emoji font; use :material/…: icons:\n" + "\n".join(found)


def test_error_icons_are_material():
    """core.errors' icons are shown by ui.errors on every page: they must be Material icon names too."""
    from core import errors

    kinds = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.LabError)]
    assert kinds and all(re.fullmatch(r":material/[a-z0-9_]+:", k.icon) for k in kinds), [k.icon for k in kinds]


def test_material_icon_names_exist():
    """A misspelt ``:material/…:`` name is an error box (icon=) or literal text (labels): check them all."""
    from streamlit.material_icon_names import ALL_MATERIAL_ICONS

    used = {(path.relative_to(ROOT), name) for path in interface_files()
            for name in re.findall(r":material/([a-z0-9_]+):", path.read_text(encoding="utf-8"))}
    assert used and not {u for u in used if u[1] not in ALL_MATERIAL_ICONS}
