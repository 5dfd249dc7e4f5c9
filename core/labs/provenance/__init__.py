"""Provenance: what a file says about its own origin — content credentials (C2PA) and EXIF/XMP metadata.

Detection guesses from pixels; provenance reads a signed record. The package is split by job:

* :mod:`~core.labs.provenance.credentials` — read and explain a C2PA manifest store, offline;
* :mod:`~core.labs.provenance.metadata` and :mod:`~core.labs.provenance.xmp` — EXIF, XMP and text fields;
* :mod:`~core.labs.provenance.identity` — the lab's local DEMO signing identity;
* :mod:`~core.labs.provenance.signing` — sign an image with it, as a C2PA-aware editor would;
* :mod:`~core.labs.provenance.jpeg` — cut out or copy the JPEG segments that carry a credential;
* :mod:`~core.labs.provenance.edits` — the edit lab: edit a signed picture and save it in different ways.

Everything works on bytes in memory; nothing an upload contains is written to disk. Every string in a
report comes from the file and is attacker-controlled: pages show it as plain text, never as HTML/Markdown.
The names below are re-exported so ``from core.labs import provenance as prov; prov.read_credentials``
keeps working.
"""

from core.labs.provenance.credentials import (ACTIONS, AI_SOURCE_TYPES, CLAIM_GENERATOR, CODE_TEXT,
                                              CONTENT_CHANGED, CREDENTIAL_CHANGED, INVALID, IPTC, NONE,
                                              OFFLINE_SETTINGS, REMOTE, SOURCE_TYPES, TAMPERED, TRUST_ONLY,
                                              TRUSTED, UNREADABLE, UNSUPPORTED, VALID_UNTRUSTED, Action, Check,
                                              CredentialReport, Ingredient, Manifest, _context, pretty_json,
                                              read_credentials, sniff_mime)
from core.labs.provenance.edits import EDITS, SAVING, crop_edges, edit_signed
from core.labs.provenance.identity import DEMO_LABEL, DemoIdentity, load_demo_identity
from core.labs.provenance.jpeg import APP11, carry_credential, jpeg_segments, strip_credential
from core.labs.provenance.metadata import MetadataReport, MetaField, read_metadata
from core.labs.provenance.signing import CLAIMS, SigningError, _signer, as_jpeg, sign_edit, sign_image

__all__ = [
    "ACTIONS", "AI_SOURCE_TYPES", "APP11", "CLAIMS", "CLAIM_GENERATOR", "CODE_TEXT", "CONTENT_CHANGED",
    "CREDENTIAL_CHANGED", "DEMO_LABEL", "EDITS", "INVALID", "IPTC", "NONE", "OFFLINE_SETTINGS", "REMOTE", "SAVING",
    "SOURCE_TYPES", "TAMPERED", "TRUSTED", "TRUST_ONLY", "UNREADABLE", "UNSUPPORTED", "VALID_UNTRUSTED", "Action",
    "Check", "CredentialReport", "DemoIdentity", "Ingredient", "Manifest", "MetaField", "MetadataReport",
    "SigningError", "_context", "_signer", "as_jpeg", "carry_credential", "crop_edges", "edit_signed",
    "jpeg_segments", "load_demo_identity", "pretty_json", "read_credentials", "read_metadata", "sign_edit",
    "sign_image", "sniff_mime", "strip_credential",
]
