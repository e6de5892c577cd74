"""Key pairs: imported public keys (ssh-ed25519, RSA, ECDSA, x509) and generated ones.

A generated pair's private key is returned once and never stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from runtime.common.errors import BadRequest, Conflict, Forbidden, NotFound
from runtime.compute import models as m

_NAME_OLD = re.compile(r"^[a-zA-Z0-9 _-]+$")
# From 2.92 Nova also allows '@' and '.' in key pair names.
_NAME_NEW = re.compile(r"^[a-zA-Z0-9 @._-]+$")


def check_name(name: str, relaxed: bool) -> None:
    pattern = _NAME_NEW if relaxed else _NAME_OLD
    if not 1 <= len(name) <= 255 or not pattern.match(name):
        raise BadRequest("Keypair data is invalid: Keypair name contains unsafe characters")


def fingerprint(public_key: str, key_type: str = "ssh") -> str:
    """Nova's fingerprints: MD5 of the SSH key blob, SHA-1 of an x509 certificate."""
    if key_type == "x509":
        cert = x509.load_pem_x509_certificate(public_key.encode())
        digest = cert.fingerprint(hashes.SHA1())  # Nova's x509 fingerprint is SHA-1
        return ":".join(f"{b:02x}" for b in digest)
    try:
        blob = base64.b64decode(public_key.split()[1])
    except (IndexError, binascii.Error, ValueError):
        raise BadRequest("Keypair data is invalid: failed to generate fingerprint") from None
    return ":".join(f"{b:02x}" for b in hashlib.md5(blob, usedforsecurity=False).digest())


def validate_public_key(public_key: str, key_type: str) -> str:
    text = public_key.strip()
    try:
        if key_type == "x509":
            x509.load_pem_x509_certificate(text.encode())
        else:
            serialization.load_ssh_public_key(text.encode())
    except (ValueError, TypeError):
        raise BadRequest("Keypair data is invalid: failed to generate fingerprint") from None
    return text


def generate(kind: str = "rsa") -> tuple[str, str]:
    """(public key in OpenSSH format, private key in OpenSSH PEM); RSA 2048 or ed25519."""
    key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    if kind == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    return public + " Generated-by-Haneul", private


def generate_x509(user_id: str) -> tuple[str, str]:
    """(certificate in PEM, private key in PEM): a self-signed RSA certificate, as Nova
    generates for x509 key pairs (WinRM certificate authentication)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, user_id or "haneul")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), private


def count(s: Session, user_id: str) -> int:
    return int(s.scalar(select(func.count()).select_from(m.KeyPair)
                        .where(m.KeyPair.user_id == user_id)) or 0)


def create(s: Session, user_id: str, name: str, public_key: str, key_type: str,
           limit: int) -> m.KeyPair:
    if s.get(m.KeyPair, (user_id, name)) is not None:
        raise Conflict(f"Key pair '{name}' already exists.")
    if limit >= 0 and count(s, user_id) + 1 > limit:
        raise Forbidden("Quota exceeded, too many key pairs.")
    next_id = int(s.scalar(select(func.max(m.KeyPair.id))) or 0) + 1
    pair = m.KeyPair(user_id=user_id, name=name, id=next_id, type=key_type,
                     public_key=public_key, fingerprint=fingerprint(public_key, key_type))
    s.add(pair)
    s.flush()
    return pair


def get(s: Session, user_id: str, name: str) -> m.KeyPair:
    pair = s.get(m.KeyPair, (user_id, name))
    if pair is None:
        raise NotFound(f"Keypair {name} not found for user {user_id}")
    return pair


def listing(s: Session, user_id: str) -> list[m.KeyPair]:
    return list(s.scalars(select(m.KeyPair).where(m.KeyPair.user_id == user_id)
                          .order_by(m.KeyPair.name)))
