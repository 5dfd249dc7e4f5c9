"""The lab's DEMO signing identity: a local root CA and one signing certificate, made on first use.

Content credentials (C2PA) are signed with an X.509 certificate. Real ones come from a certificate
authority on a C2PA trust list; this one is generated on this machine so a class can watch signing and
verification work offline. Nobody else trusts it, and that is the point of the lesson: a signature can
be perfectly valid while its signer means nothing to you.

What the C2PA profile (and c2pa-rs, which checks it) asks of a signing certificate, and how we meet it:
X.509 v3; an ECDSA P-256 key signed with SHA-256 (ES256); Key Usage critical with digitalSignature only;
an Extended Key Usage of emailProtection and documentSigning (never anyExtendedKeyUsage); Basic
Constraints CA:false; Subject and Authority Key Identifiers; and NOT self-signed, hence a separate demo
root CA that issues it. The files live in ``data_dir()/demo_identity/`` (``data/`` is git-ignored), the
signer's private key readable by its owner only.

The root CA's private key is used once, to issue the signing certificate, and then thrown away: signing
needs only the signer's key, and a root key kept on a classroom server would let anyone who copies it
mint "trusted" demo certificates for any name. When the signer is renewed (yearly), a new root is made
with it, so demo signatures older than that read as "not trusted" under the new root.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from core.config import data_dir

# The certificates' organisation name. It says what the identity is, not whether to trust it: trust is the
# verifier's choice (its trust list), and a name saying "not trusted" contradicted a verifier that chose to.
DEMO_LABEL = "Deepfake Lab DEMO identity (for teaching only)"
SIGNER_NAME = "Deepfake Lab DEMO signer"
ROOT_NAME = "Deepfake Lab DEMO root CA"
DOCUMENT_SIGNING_EKU = ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning (RFC 9336)
SIGNER_DAYS = 365
ROOT_DAYS = 3650
RENEW_BEFORE = dt.timedelta(days=7)  # make a fresh signer before the old one expires mid-lesson

_FILES = {"root": "root_ca.pem", "chain": "signer_chain.pem", "key": "signer_key.pem"}
_OLD_ROOT_KEY = "root_ca_key.pem"  # written by earlier versions; removed on sight
_lock = threading.Lock()


@dataclass(frozen=True)
class DemoIdentity:
    """PEM texts of the demo identity.

    chain_pem: the signing certificate followed by the root CA (what goes into each signature).
    key_pem: the signer's private key (PKCS#8). root_pem: the root CA alone (a "trust list" of one).
    """

    chain_pem: bytes
    key_pem: bytes
    root_pem: bytes
    folder: Path
    not_after: dt.datetime

    @property
    def label(self) -> str:
        return DEMO_LABEL


def identity_dir() -> Path:
    return data_dir() / "demo_identity"


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEMO_LABEL),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "For teaching only; generated on this computer"),
    ])


def _key_usage(*, signer: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=signer, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=not signer,
                         crl_sign=not signer, encipher_only=False, decipher_only=False)


def _make_root(now: dt.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(ROOT_NAME)).issuer_name(_name(ROOT_NAME))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=ROOT_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signer=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _make_signer(root_key: ec.EllipticCurvePrivateKey, root: x509.Certificate,
                 now: dt.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    not_after = min(now + dt.timedelta(days=SIGNER_DAYS), root.not_valid_after_utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(SIGNER_NAME)).issuer_name(root.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signer=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING_EKU]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    return key, cert


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _pem_cert(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _write(path: Path, data: bytes, private: bool = False) -> None:
    """Write atomically (two sessions may create the identity at once), keys readable by the owner only."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o600 if private else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load(folder: Path) -> DemoIdentity | None:
    try:
        chain = (folder / _FILES["chain"]).read_bytes()
        key = (folder / _FILES["key"]).read_bytes()
        root = (folder / _FILES["root"]).read_bytes()
        signer = x509.load_pem_x509_certificates(chain)[0]
        serialization.load_pem_private_key(key, password=None)
        org = signer.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    except (OSError, ValueError, IndexError):
        return None
    if not org or org[0].value != DEMO_LABEL:  # made by an earlier version under another name: make a new one
        return None
    return DemoIdentity(chain_pem=chain, key_pem=key, root_pem=root, folder=folder,
                        not_after=signer.not_valid_after_utc)


def load_demo_identity(folder: Path | None = None) -> DemoIdentity:
    """The demo identity, created on first use (and renewed shortly before its signer expires).

    Nothing leaves this computer: keys are generated locally with ``cryptography``.
    """
    folder = Path(folder) if folder else identity_dir()
    now = dt.datetime.now(dt.timezone.utc)
    with _lock:
        (folder / _OLD_ROOT_KEY).unlink(missing_ok=True)
        found = _load(folder)
        if found is not None and found.not_after - RENEW_BEFORE > now:
            return found
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        root_key, root = _make_root(now)
        _write(folder / _FILES["root"], _pem_cert(root))
        key, cert = _make_signer(root_key, root, now)
        _write(folder / _FILES["key"], _pem_key(key), private=True)
        _write(folder / _FILES["chain"], _pem_cert(cert) + _pem_cert(root))
        _write(folder / "README.txt", (
            f"{DEMO_LABEL}.\n\nMade by Deepfake Lab on this computer to demonstrate content credentials (C2PA).\n"
            "No one trusts these certificates unless they choose to, and they prove nothing about who made an\n"
            "image. Never use them for anything real. Delete this folder to make a new identity.\n").encode())
        del root_key  # never written: see the module's docstring
        loaded = _load(folder)
        assert loaded is not None
        return loaded
