"""JPEG surgery: find, cut out and copy the segments that carry a C2PA manifest store, byte-exactly."""

from __future__ import annotations

import struct

# ------------------------------------------------------------------------------------------ JPEG surgery

APP11 = 0xEB  # JPEG segment that carries JUMBF boxes, where C2PA stores its manifest store


def jpeg_segments(data: bytes) -> list[tuple[int, int, int]]:
    """(marker, start, end) of each JPEG header segment up to the image data (SOS), in order."""
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG file")
    out, i = [], 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise ValueError(f"damaged JPEG header at byte {i}")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xDA:  # start of scan: the rest is image data
            out.append((marker, i, len(data)))
            break
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        out.append((marker, i, i + 2 + length))
        i += 2 + length
    return out


def strip_credential(jpeg: bytes) -> bytes:
    """The same JPEG with its C2PA (APP11) segments removed: identical pixels, no credential."""
    return jpeg[:2] + b"".join(jpeg[s:e] for m, s, e in jpeg_segments(jpeg) if m != APP11)


def carry_credential(signed_jpeg: bytes, edited_jpeg: bytes) -> bytes:
    """Copy the credential segments of ``signed_jpeg`` into ``edited_jpeg`` unchanged, as a careless editor
    that preserves metadata would: the credential travels with an image it no longer describes."""
    credential = b"".join(signed_jpeg[s:e] for m, s, e in jpeg_segments(signed_jpeg) if m == APP11)
    segments = jpeg_segments(edited_jpeg)
    at = segments[0][2] if segments and segments[0][0] == 0xE0 else 2  # after JFIF APP0, where c2pa puts it
    return edited_jpeg[:at] + credential + edited_jpeg[at:]
