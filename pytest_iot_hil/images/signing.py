"""Ed25519 keys and signatures of MCUboot images, as imgtool makes them.

``imgtool sign --key K`` (an Ed25519 key) adds two unprotected TLVs after the
SHA256 one: KEYHASH (0x01), the SHA-256 of the public key's
SubjectPublicKeyInfo (DER) encoding, and ED25519 (0x24), the signature of
the 32-byte SHA-256 digest (not of the image bytes). These helpers read keys
and check signatures with ``cryptography``, so a device profile can model a
bootloader's signature check and tests can tell a valid signature from a
forged one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import HilError

TLV_KEYHASH = 0x01
TLV_ED25519 = 0x24
ED25519_SIG_SIZE = 64


class SigningKeyError(HilError):
    """A key file that is missing or is not an Ed25519 key."""


def _load(path: str | Path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"cannot read the key {path}: {exc.strerror} (make one with "
                        "`imgtool keygen -k KEY.pem -t ed25519`)") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        try:
            key = serialization.load_pem_public_key(data)
        except ValueError:
            raise SigningKeyError(f"{path} is not a PEM key (make one with `imgtool keygen -k KEY.pem -t ed25519`)") from None
    if not isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        raise SigningKeyError(f"{path} is a {type(key).__name__.lstrip('_')}, not an Ed25519 key")
    return key


def public_key(path: str | Path) -> bytes:
    """The raw 32-byte public key (RFC 8032 encoding) of a PEM key file, private or public."""
    from cryptography.hazmat.primitives import serialization

    key = _load(path)
    pub = key.public_key() if hasattr(key, "public_key") else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_hash(raw_public_key: bytes) -> bytes:
    """What imgtool writes in the KEYHASH TLV: SHA-256 of the key's SubjectPublicKeyInfo encoding."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    pub = ed25519.Ed25519PublicKey.from_public_bytes(raw_public_key)
    der = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).digest()


def verify_ed25519(raw_public_key: bytes, signature: bytes, message: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``message`` by that key."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ed25519

    if len(signature) != ED25519_SIG_SIZE:
        return False
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(raw_public_key).verify(signature, message)
    except InvalidSignature:
        return False
    return True
