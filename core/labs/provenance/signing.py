"""Signing images with the lab's DEMO identity, as an honest C2PA editor would."""

from __future__ import annotations

import io
import re

import numpy as np

from core.engine.media import encode_jpeg
from core.labs.provenance.credentials import _context, sniff_mime
from core.labs.provenance.identity import DemoIdentity, load_demo_identity

# ------------------------------------------------------------------------------------------ signing

CLAIMS = {
    "edited": "Opened and re-saved in Deepfake Lab (the original is recorded as its parent ingredient)",
    "generative_ai": "Created by a generative AI tool (digital source type “trainedAlgorithmicMedia”)",
    "camera": "Captured by a camera (digital source type “digitalCapture”)",
}


from core.errors import SigningError  # noqa: E402  (re-exported: signing failed; the message says what to do)


def _signer(identity: DemoIdentity):
    from c2pa import C2paSignerInfo, C2paSigningAlg, Signer

    # No timestamp authority: the lab is offline, so the signing time stays unproven (and the page says so).
    return Signer.from_info(C2paSignerInfo(C2paSigningAlg.ES256, identity.chain_pem, identity.key_pem, None))


def _sign_jpeg(jpeg: bytes, *, title: str, identity: DemoIdentity | None, source_type: str | None = None,
               parent: bytes | None = None, parent_title: str = "original", actions: list[dict] | None = None) -> bytes:
    import c2pa

    identity = identity or load_demo_identity()
    try:
        builder = c2pa.Builder({"title": title}, context=_context())
        try:
            if parent is not None:
                builder.set_intent(c2pa.C2paBuilderIntent.EDIT)  # adds "c2pa.opened" for the parent
                builder.add_ingredient({"title": parent_title, "relationship": "parentOf"},
                                       sniff_mime(parent) or "image/jpeg", io.BytesIO(parent))
            else:
                # IPTC term → the binding's enum name: "compositeSynthetic" → COMPOSITE_SYNTHETIC.
                name = re.sub(r"(?<!^)(?=[A-Z])", "_", source_type or "").upper() or "EMPTY"
                dst = getattr(c2pa.C2paDigitalSourceType, name, c2pa.C2paDigitalSourceType.EMPTY)
                builder.set_intent(c2pa.C2paBuilderIntent.CREATE, dst)
            for action in actions or []:
                builder.add_action(action)
            out = io.BytesIO()
            builder.sign(_signer(identity), "image/jpeg", io.BytesIO(jpeg), out)
        finally:
            builder.close()
    except c2pa.C2paError as err:
        raise SigningError(f"Signing failed: {err}. Delete the demo identity folder "
                           f"({identity.folder}) to make a fresh one, then try again.") from err
    return out.getvalue()


def as_jpeg(data: bytes, rgb: np.ndarray | None = None, quality: int = 92) -> bytes:
    """``data`` itself when it is a JPEG; otherwise the picture re-encoded as JPEG (from ``rgb`` or decoded)."""
    if sniff_mime(data) == "image/jpeg":
        return bytes(data)
    if rgb is None:
        from core.engine.media import load_image

        rgb = load_image(data)
    return encode_jpeg(rgb, quality=quality)


def sign_image(data: bytes, *, claim: str = "edited", title: str = "image.jpg", rgb: np.ndarray | None = None,
               identity: DemoIdentity | None = None) -> bytes:
    """Sign an image with the DEMO identity and return the signed JPEG bytes.

    claim: a key of :data:`CLAIMS`. "edited" records ``data`` as the parent ingredient (so an existing
    credential becomes part of the history); the two "created" claims start a new history and replace
    any credential the file had. The signer can claim anything: that is one of the page's lessons.
    Non-JPEG input is re-encoded as JPEG (``rgb``: its decoded pixels, if the caller has them).
    """
    if claim not in CLAIMS:
        raise ValueError(f"unknown claim {claim!r}; choose one of {sorted(CLAIMS)}")
    jpeg = as_jpeg(data, rgb)
    if claim == "edited":
        return _sign_jpeg(jpeg, title=title, identity=identity, parent=bytes(data), parent_title=title)
    source = "trainedAlgorithmicMedia" if claim == "generative_ai" else "digitalCapture"
    return _sign_jpeg(jpeg, title=title, identity=identity, source_type=source)


def sign_created(jpeg: bytes, *, source_type: str, title: str = "image.jpg", actions: list[dict] | None = None,
                 identity: DemoIdentity | None = None) -> bytes:
    """Sign a JPEG as newly created, declaring its IPTC digital source type (e.g. "compositeSynthetic", see
    :data:`core.labs.provenance.credentials.SOURCE_TYPES`) and any further ``actions`` (C2PA action dicts)."""
    return _sign_jpeg(jpeg, title=title, identity=identity, source_type=source_type, actions=actions)


def sign_edit(edited_jpeg: bytes, parent: bytes, *, action: str | None, description: str = "",
              title: str = "edited.jpg", identity: DemoIdentity | None = None) -> bytes:
    """What an honest C2PA editor does: sign the edited picture, record the action, keep the parent."""
    actions = [{"action": action, "description": description}] if action else []
    return _sign_jpeg(edited_jpeg, title=title, identity=identity, parent=parent, parent_title="signed original",
                      actions=actions)

