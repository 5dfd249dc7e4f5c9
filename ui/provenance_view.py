"""Showing provenance reports: every string that came from a file is shown as plain text.

A C2PA manifest or an XMP packet is written by whoever made the file. Rendered as Markdown or HTML, a signer
name could draw a fake green "trusted" verdict over the real one, and a Markdown image would make the viewer's
browser fetch an address on the network (issue 21, finding 3). So :func:`plain` escapes every Markdown and
HTML character of such strings, ``unsafe_allow_html`` is never used here, and table cells (which
``st.table`` renders as Markdown) are escaped too.
"""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from core.labs.provenance import (INVALID, NONE, REMOTE, TAMPERED, TRUSTED, UNREADABLE, UNSUPPORTED,
                                  VALID_UNTRUSTED, CredentialReport, MetadataReport, pretty_json)

STYLE = {  # status → (streamlit call, icon)
    TRUSTED: (st.success, ":material/verified:"), VALID_UNTRUSTED: (st.warning, ":material/lock_open:"),
    TAMPERED: (st.error, ":material/gpp_bad:"), INVALID: (st.error, ":material/dangerous:"),
    UNREADABLE: (st.error, ":material/extension_off:"), NONE: (st.info, ":material/hide_source:"),
    REMOTE: (st.info, ":material/public:"),
    UNSUPPORTED: (st.warning, ":material/block:"),
}

# Any ASCII punctuation may be backslash-escaped in CommonMark; these are the characters that start emphasis,
# code, HTML, links and images, headings, tables, strike-through, LaTeX ($) or Streamlit directives
# (:red[…] needs the bracket). A line-start "-", "=", "1." is escaped separately (lists, setext headings).
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~$&])")
_LINE_START = re.compile(r"^([-=]|\d+(?=[.)]))")


def plain(value: Any, limit: int = 400) -> str:
    """``value`` as text that Markdown shows literally: one line, special characters escaped, shortened."""
    text = " ".join(str(value).split())  # no newlines: a new line could start a heading or a list
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return _LINE_START.sub(lambda m: "\\" + m.group(1) if not m.group(1).isdigit() else m.group(1) + "\\",
                           _SPECIAL.sub(r"\\\1", text))


def show_credentials(report: CredentialReport) -> None:
    """A credential report in plain words: verdict, signer, tool, actions, history, checks."""
    call, icon = STYLE.get(report.status, (st.info, ":material/info:"))
    # headline is the lab's own words; detail may quote the signer's name from the file
    call(f"**{plain(report.headline)}** {plain(report.detail, 1000)}", icon=icon)
    if report.remote_url:
        st.caption(f"Link in the file (not followed): {plain(report.remote_url)}")
    if report.error and report.status in (UNREADABLE, UNSUPPORTED):
        st.caption(f"What the C2PA library said: {plain(report.error, 300)}")
    m = report.active
    if m is None:
        return
    if not report.intact:
        st.caption("What the credential says — it failed validation, so none of this can be relied on:")
    if report.ai_sources:
        st.markdown(":material/smart_toy: **The credential declares:** "
                    + "; ".join(plain(s) for s in report.ai_sources) + ".")
    c1, c2, c3 = st.columns(3)
    c1.markdown(f"**Signed by**  \n{plain(m.signer or '—')}")
    c1.caption(f"certificate issuer: {plain(m.issuer or '—')}")
    c2.markdown(f"**Made with (claim generator)**  \n{plain(m.generator or '—')}")
    c3.markdown("**Signed when**  \n" + (plain(m.signed_at) if m.signed_at else "unknown — no trusted timestamp"))
    if m.actions:
        lines = []
        for a in m.actions:
            line = f"- **{plain(a.plain)}** ({plain(a.label)})"
            if a.source_plain:
                line += f": {plain(a.source_plain)} ({plain(a.source_type)})"
            if a.description:
                line += f" — {plain(a.description)}"
            if a.software:
                line += f" · software: {plain(a.software)}"
            lines.append(line)
        st.markdown("**What the signer says was done**\n" + "\n".join(lines))
    if m.ingredients:
        lines = [f"- *{plain(i.title)}* ({plain(i.relationship)}, {plain(i.format or 'unknown format')}): "
                 + ("has its own credential" + (" — with problems: " + ", ".join(plain(f) for f in i.failures)
                                                if i.failures else "")
                    if i.manifest else "no credential of its own") for i in m.ingredients[:50]]
        st.markdown("**Made from (ingredients)**\n" + "\n".join(lines))
    for old in report.history[:20]:
        acts = ", ".join(plain(a.plain) + (f" ({plain(a.source_plain)})" if a.source_plain else "")
                         for a in old.actions) or "—"
        st.markdown(f"↳ earlier credential on *{plain(old.title or 'untitled')}*: signed by "
                    f"{plain(old.signer or '—')} with {plain(old.generator or 'an unnamed tool')}; actions: {acts}")
    with st.expander("All validation checks and the raw manifest"):
        st.table([{"result": plain(c.kind), "code": plain(c.code), "meaning": plain(c.plain)} for c in report.checks],
                 hide_index=True)
        st.code(pretty_json(report)[:20000], language="json")  # a code block shows its text literally


def show_metadata(meta: MetadataReport) -> None:
    """The metadata report: AI markers, then a table of fields (values escaped: they come from the file)."""
    if meta.error:
        st.caption(plain(meta.error))
        return
    for marker in meta.ai_markers:
        st.warning(f"AI marker in the metadata: {plain(marker)}", icon=":material/smart_toy:")
    if not meta.fields:
        st.caption(f"{plain(meta.format or 'This')} file carries no camera, software, date or AI fields. Metadata "
                   "is removed by most apps and is as easy to fake as to delete, so its absence means nothing.")
        return
    st.table([{"field": plain(f.name), "value": plain(f.value), "why it matters": plain(f.why)} for f in meta.fields],
             hide_index=True)
    st.caption("Unsigned metadata is only a claim: any editor can write any camera, date or tool into it.")
