"""The edit lab: edit a signed picture and save it the way different tools do, to see what breaks."""

from __future__ import annotations

import numpy as np

from core.engine.media import encode_jpeg
from core.labs.provenance.identity import DemoIdentity
from core.labs.provenance.jpeg import carry_credential, strip_credential
from core.labs.provenance.signing import sign_edit

# ------------------------------------------------------------------------------------------ the edit lab

EDITS = {
    "crop": "Crop it (trim 15 % from each side)",
    "fake": "Blend a fake face into it (self-blend of the largest face, as in Make a fake)",
    "none": "Nothing: leave every pixel as it is",
}
SAVING = {
    "keep": "An editor that copies metadata blocks along (the old credential travels with the edit)",
    "resave": "An app that saves without metadata (most apps, screenshots, messengers, social networks)",
    "sign": "A C2PA-aware editor that signs the edit (with the demo identity) and keeps the original as ingredient",
}
_EDIT_ACTIONS = {"crop": ("c2pa.cropped", "trimmed 15 % from each side"),
                 "fake": ("c2pa.edited", "face region replaced by a self-blended copy"),
                 "none": (None, "")}


def crop_edges(rgb: np.ndarray, fraction: float = 0.15) -> np.ndarray:
    """The centre of an (H, W, 3) image with ``fraction`` of each side trimmed."""
    h, w = rgb.shape[:2]
    dy, dx = int(h * fraction), int(w * fraction)
    return np.ascontiguousarray(rgb[dy:h - dy, dx:w - dx])


def edit_signed(signed: bytes, rgb: np.ndarray, edit: str, saving: str, *, landmarks: np.ndarray | None = None,
                seed: int = 0, identity: DemoIdentity | None = None) -> tuple[bytes, np.ndarray]:
    """Edit a signed JPEG's picture and save it the way ``saving`` says; return (file bytes, edited pixels).

    rgb: the signed file's decoded pixels (H, W, 3) uint8. landmarks: (5, 2) of the face to fake, required
    for ``edit="fake"``. Saving "keep" copies the old credential into the edit; "resave" drops it (for
    ``edit="none"`` the credential segments are cut out byte-exactly, so the pixels are identical);
    "sign" signs the edit with the demo identity, recording the action and the signed file as parent.
    """
    if edit not in EDITS or saving not in SAVING:
        raise ValueError(f"unknown edit {edit!r} or saving {saving!r}")
    if edit == "crop":
        out = crop_edges(rgb)
    elif edit == "fake":
        if landmarks is None:
            raise ValueError("a fake needs the face's landmarks")
        from core.fakes.forge import ForgeSettings, self_blend

        out = self_blend(rgb, landmarks, seed, ForgeSettings(blend=1.0, color_shift=0.8, mask_scale=1.0)).fake
    else:
        out = rgb
    if edit == "none" and saving != "sign":
        return (signed if saving == "keep" else strip_credential(signed)), rgb
    edited = encode_jpeg(out, quality=92)
    if saving == "keep":
        return carry_credential(signed, edited), out
    if saving == "resave":
        return edited, out
    action, description = _EDIT_ACTIONS[edit]
    return sign_edit(edited, signed, action=action, description=description, identity=identity), out

