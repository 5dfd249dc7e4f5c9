"""The XMP packet of an image: found where its format stores it, capped in size, parsed as XML safely.

Why not search the bytes: an upload may hold any number of ``<x:xmpmeta`` strings outside the real packet,
and regular expressions over them can take minutes while holding the interpreter lock (issue 21, finding 1).
Here only the one packet the format defines is read — JPEG APP1 ``http://ns.adobe.com/xap/1.0/``, PNG iTXt
``XML:com.adobe.xmp``, WebP ``XMP `` chunk (all three exposed by Pillow as ``info["xmp"]``) and TIFF tag
700 — at most :data:`MAX_XMP_BYTES` of it, parsed once by expat through ``defusedxml`` (linear time; no
DTDs, entities or external references), and the parse is cached by the packet's SHA-256.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

#: Real XMP packets are a few KB (a heavily edited Photoshop file's reach ~100 KB); larger ones are not read.
MAX_XMP_BYTES = 256 * 1024
#: At most this many values are kept per property (a list of 20,000 creators says nothing 20 would not).
MAX_VALUES = 20
_CACHE_ENTRIES = 64

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#: The prefixes the lab reads, by namespace URI (a file may bind any prefix to them).
NAMESPACES = {
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
}


class XmpTooLarge(ValueError):
    """The packet is larger than :data:`MAX_XMP_BYTES`; it was not parsed."""


def xmp_packet(image) -> bytes | None:
    """The raw XMP packet of an opened PIL image, as its format stores it, or None."""
    raw = image.info.get("xmp")
    if raw is None and image.format == "PNG":
        raw = image.info.get("XML:com.adobe.xmp")
    if raw is None and image.format == "TIFF":
        raw = getattr(image, "tag_v2", {}).get(700)
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = raw.encode("utf-8", errors="replace")
    if isinstance(raw, (tuple, list)):  # some TIFF writers store tag 700 as a tuple of bytes
        raw = b"".join(r if isinstance(r, bytes) else bytes([int(r)]) for r in raw)
    return bytes(raw) if isinstance(raw, (bytes, bytearray)) else None


def _qname(key: str) -> str:
    prefix, local = key.split(":", 1)
    return f"{{{NAMESPACES[prefix]}}}{local}"


def _values_of(element) -> list[str]:
    """An element's value(s): rdf:resource, rdf:li items of a Seq/Bag/Alt, or its own text."""
    resource = element.get(f"{{{RDF}}}resource")
    if resource:
        return [resource]
    items = [li.text or "" for li in element.iter(f"{{{RDF}}}li")]
    if items:
        return items
    return [element.text or ""]


def parse_xmp(packet: bytes, keys: tuple[str, ...]) -> dict[str, list[str]]:
    """Values of each ``prefix:name`` in ``keys`` (prefixes of :data:`NAMESPACES`), as attributes or elements.

    Raises :class:`XmpTooLarge` beyond :data:`MAX_XMP_BYTES` and ``ValueError`` for a packet that is not
    well-formed XML (or uses DTDs/entities, which XMP never needs). Results are cached by SHA-256.
    """
    if len(packet) > MAX_XMP_BYTES:
        raise XmpTooLarge(f"XMP packet of {len(packet)} bytes (the lab reads at most {MAX_XMP_BYTES})")
    digest = hashlib.sha256(packet).hexdigest() + "|" + ",".join(keys)
    with _LOCK:
        if digest in _CACHE:
            _CACHE.move_to_end(digest)
            return _CACHE[digest]
    try:
        root = SafeET.fromstring(packet.strip(b"\x00 \r\n\t"))
    except (SafeET.ParseError, DefusedXmlException, UnicodeDecodeError) as err:
        raise ValueError(f"XMP packet is not well-formed: {err}") from err
    wanted = {_qname(k): k for k in keys}
    found: dict[str, list[str]] = {k: [] for k in keys}
    for element in root.iter():
        for name, value in element.attrib.items():
            if name in wanted:
                found[wanted[name]].append(value)
        if element.tag in wanted:
            found[wanted[element.tag]].extend(_values_of(element))
    out = {k: [v.strip() for v in vs if v and v.strip()][:MAX_VALUES] for k, vs in found.items()}
    out = {k: v for k, v in out.items() if v}
    with _LOCK:
        _CACHE[digest] = out
        while len(_CACHE) > _CACHE_ENTRIES:
            _CACHE.popitem(last=False)
    return out


def xmp_values(image, keys: tuple[str, ...]) -> tuple[dict[str, list[str]], str | None]:
    """(values by key, a note when the packet was refused or damaged) for an opened PIL image."""
    packet = xmp_packet(image)
    if not packet:
        return {}, None
    try:
        return parse_xmp(packet, keys), None
    except XmpTooLarge:
        return {}, (f"larger than {MAX_XMP_BYTES // 1024} KB, so the lab did not read it (real XMP is a few KB; "
                    "an oversized packet is itself a sign of a crafted file)")
    except ValueError:
        return {}, "damaged (not well-formed XML), so it could not be read"


_CACHE: OrderedDict[str, dict[str, list[str]]] = OrderedDict()
_LOCK = threading.Lock()
