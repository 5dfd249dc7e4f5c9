"""What a file's own metadata says about its origin: EXIF, XMP and PNG/JPEG text fields.

Unsigned metadata is only a claim, but generators often label their output (IPTC digital source type,
Stable Diffusion settings in a PNG text chunk). Everything is read from bytes in memory, bounded in size
and time: the XMP packet is parsed by :mod:`core.labs.provenance.xmp`.
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass
from typing import Any

from core.labs.provenance.credentials import AI_SOURCE_TYPES, SOURCE_TYPES, _source_type
from core.labs.provenance.xmp import xmp_values

# ------------------------------------------------------------------------------------------ metadata

@dataclass(frozen=True)
class MetaField:
    """One metadata field worth a look: name, value (as text), why it matters."""

    name: str
    value: str
    why: str = ""


@dataclass(frozen=True)
class MetadataReport:
    """EXIF / XMP / text-chunk fields that bear on origin. ``ai_markers`` lists plain findings that a
    generator labelled its output; ``error`` is set when the file could not be opened as an image."""

    format: str | None
    fields: list[MetaField]
    ai_markers: list[str]
    has_gps: bool = False
    error: str | None = None


_EXIF_BASE = {271: ("Camera make", "which manufacturer's camera wrote the file"),
              272: ("Camera model", "which camera model wrote the file"),
              305: ("Software", "the last program that saved the file"),
              306: ("Date modified", "when the file was last saved, by the device's clock"),
              315: ("Artist", "who the file names as its author"),
              33432: ("Copyright", "who claims the rights"),
              270: ("Description", "a caption written into the file")}
_EXIF_SUB = {36867: ("Date taken", "when the camera says the picture was taken"),
             36868: ("Date digitised", "when the picture was digitised"),
             42036: ("Lens", "the lens the camera reports"),
             37510: ("User comment", "free text; some AI tools write their settings here")}
_XMP_KEYS = {"Iptc4xmpExt:DigitalSourceType": ("IPTC digital source type", "how the picture was made, "
                                                "in the IPTC photo-metadata standard"),
             "xmp:CreatorTool": ("Creator tool (XMP)", "the program that created the file"),
             "xmp:CreateDate": ("Created (XMP)", "when the file says it was created"),
             "photoshop:DateCreated": ("Date created (XMP)", "when the content says it was created"),
             "dc:creator": ("Creator (XMP)", "who the file names as its creator"),
             "dcterms:provenance": ("Provenance link (XMP)", "where a remote content credential is stored")}
#: Text keys that image generators write into PNG files (AUTOMATIC1111/Forge, ComfyUI, InvokeAI, NovelAI…).
_GENERATOR_KEYS = {"parameters": "Stable Diffusion web UI settings (prompt, model, seed)",
                   "prompt": "a generator prompt/graph (ComfyUI)", "workflow": "a ComfyUI workflow",
                   "invokeai_metadata": "InvokeAI generation settings", "sd-metadata": "Stable Diffusion settings",
                   "Dream": "Stable Diffusion (dream) settings"}


#: Keys Pillow itself puts into a PNG's ``info`` (not text chunks written by a program).
_PNG_INFO_KEYS = {"dpi", "gamma", "transparency", "aspect", "srgb", "icc_profile", "exif", "xmp", "chromaticity",
                  "interlace", "duration", "loop", "disposal", "blend", "default_image", "bbox"}


def _clean(value: Any, limit: int = 300) -> str:
    if isinstance(value, bytes):
        for prefix in (b"ASCII\x00\x00\x00", b"UNICODE\x00", b"\x00\x00\x00\x00\x00\x00\x00\x00"):
            if value.startswith(prefix):
                value = value[len(prefix):]
                break
        try:
            value = value.decode("utf-16-be" if value[:1] == b"\x00" else "utf-8")
        except UnicodeDecodeError:
            value = value.decode("latin-1")
    text = " ".join(str(value).replace("\x00", " ").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_metadata(data: bytes) -> MetadataReport:
    """EXIF, XMP and PNG/JPEG text fields that say something about where an image came from.

    Never raises for bad input and never decodes the pixels: a damaged or crafted file gives a report
    with ``error`` set (or a field saying which block was damaged).
    """
    data = bytes(data or b"")
    try:
        return _read_metadata(data)
    except Exception as err:  # noqa: BLE001 - Pillow's plugins raise many types on crafted headers
        return MetadataReport(format=None, fields=[], ai_markers=[],
                              error=f"The file's metadata is damaged and could not be read ({type(err).__name__}).")


def _read_metadata(data: bytes) -> MetadataReport:
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as err:
        return MetadataReport(format=None, fields=[], ai_markers=[],
                              error="Not an image we can read metadata from." + (f" ({err})" if str(err) else ""))
    fields: list[MetaField] = []
    markers: list[str] = []
    has_gps = False
    try:
        # PNG keeps EXIF in an eXIf chunk; Pillow would decode every pixel to look for one after the image
        # data, so only a chunk already seen while opening is read (metadata must not cost a full decode).
        exif = image.getexif() if image.format != "PNG" or "exif" in image.info else Image.Exif()
        for tag, (name, why) in _EXIF_BASE.items():
            if exif.get(tag) not in (None, "", b""):
                fields.append(MetaField(name, _clean(exif[tag]), why))
        sub = exif.get_ifd(0x8769)
        for tag, (name, why) in _EXIF_SUB.items():
            if sub.get(tag) not in (None, "", b""):
                fields.append(MetaField(name, _clean(sub[tag]), why))
        gps = exif.get_ifd(0x8825)
        has_gps = bool(gps)
        if has_gps:
            fields.append(MetaField("GPS location", "present", "where the picture was taken — also a privacy risk"))
    except (OSError, ValueError, SyntaxError, struct.error, TypeError, KeyError, IndexError, ZeroDivisionError):
        fields.append(MetaField("EXIF", "damaged; could not be read", "metadata can be broken as easily as written"))

    try:
        values_by_key, xmp_note = xmp_values(image, tuple(_XMP_KEYS))
    except (OSError, ValueError, SyntaxError, struct.error, TypeError, KeyError):
        values_by_key, xmp_note = {}, "damaged, so it could not be read"
    if xmp_note:
        fields.append(MetaField("XMP", _clean(xmp_note), "metadata can be broken as easily as written"))
    for key, (name, why) in _XMP_KEYS.items():
        values = values_by_key.get(key)
        if not values:
            continue
        if key == "Iptc4xmpExt:DigitalSourceType":
            for v in values:
                st = _clean(_source_type(v), 80)
                plain = SOURCE_TYPES.get(st, st)
                fields.append(MetaField(name, f"{st} — {plain}", why))
                if st in AI_SOURCE_TYPES:
                    markers.append(f"IPTC digital source type says: {plain} ({st}).")
        else:
            fields.append(MetaField(name, _clean("; ".join(values)), why))

    text = {}
    if image.format == "PNG":
        # Text chunks read while opening (before the image data). ``image.text`` would decode every pixel
        # to find chunks after it.
        text = {k: v for k, v in image.info.items() if isinstance(v, (str, bytes)) and k not in _PNG_INFO_KEYS}
    comment = image.info.get("comment")
    if comment:
        fields.append(MetaField("Comment", _clean(comment), "free text written into the file"))
    for key, value in text.items():
        if key in ("XML:com.adobe.xmp", "xmp"):
            continue
        if key in _GENERATOR_KEYS:
            markers.append(f"PNG text “{key}”: {_GENERATOR_KEYS[key]}.")
            fields.append(MetaField(f"PNG text: {key}", _clean(value), "written by an image generator"))
        else:
            fields.append(MetaField(f"PNG text: {key}", _clean(value), "free text written into the file"))
    for f in fields:
        if f.name == "User comment" and re.search(r"\b(Steps|Sampler|CFG scale|Seed):", f.value):
            markers.append("The EXIF user comment holds Stable Diffusion generation settings.")
    return MetadataReport(format=image.format, fields=fields, ai_markers=markers, has_gps=has_gps)

