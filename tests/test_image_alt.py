"""Every picture the lab shows has a text alternative: st.image's caption is not read as alt text (axe-core
reports such images as critical), so each st.image call in pages/ and ui/ passes ``alt=``."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_st_image_has_alt_text():
    missing = []
    for path in [*sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "image"
                    and not any(k.arg == "alt" for k in node.keywords)):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not missing, "st.image without alt= (say what the picture shows):\n" + "\n".join(missing)
