"""Credentials (/v3/credentials and OS-EC2): blobs kept encrypted at rest.

The blob of a credential is a secret (an EC2 secret key, a TOTP seed...), so it is
encrypted with a key repository of its own, laid out like the token keys, before it
reaches the database; a database dump alone reveals no secret. The repository sits next
to the token keys (STATE_DIR/credential-keys by default) so that API nodes sharing one
share the other, and it is created on first use.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from typing import Any

from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.common.errors import ApiError, BadRequest, Conflict, NotFound
from runtime.identity import models as m
from runtime.identity import schemas as sch
from runtime.identity.keys import KeyRepository
from runtime.identity.service.core import Identity
from runtime.identity.tokens import random_id

EC2 = "ec2"
CREDENTIAL_FIELDS = ("user_id", "project_id", "type", "blob")


# --- encryption at rest -----------------------------------------------------------------


def key_repository(ident: Identity) -> KeyRepository:
    return KeyRepository(ident.config.credential_key_repository, ident.settings.max_active_keys)


def _cipher(ident: Identity) -> MultiFernet:
    repo = key_repository(ident)
    if not repo.signature():
        # Two API processes may both see an empty repository on their first credential;
        # the lock makes exactly one of them create the keys the other then reads.
        repo.path.parent.mkdir(parents=True, exist_ok=True)
        with open(repo.path.parent / ".credential-keys.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            repo.setup()
    return repo.fernet()


def rotate_keys(ident: Identity) -> tuple[int, int]:
    """Re-encrypt every blob with the staged key, then promote it to primary.

    Re-encrypting first is what makes rotation safe: when the oldest key is dropped no
    blob depends on it any more. Returns the new primary key's index and the number of
    blobs re-encrypted.
    """
    repo = key_repository(ident)
    _cipher(ident)  # creates the repository on first use
    keys = repo.keys()
    reencrypt = MultiFernet([keys[-1], *keys])  # the staged key encrypts
    count = 0
    with ident.write() as s:
        for cred in s.scalars(select(m.Credential)):
            cred.encrypted_blob = reencrypt.rotate(cred.encrypted_blob.encode()).decode()
            count += 1
    return repo.rotate(), count


class Cipher:
    """Encrypts and decrypts blobs with the credential key repository."""

    def __init__(self, ident: Identity) -> None:
        self._fernet = _cipher(ident)

    def encrypt(self, blob: str) -> str:
        return self._fernet.encrypt(blob.encode()).decode()

    def decrypt(self, encrypted: str) -> str:
        try:
            return self._fernet.decrypt(encrypted.encode()).decode()
        except InvalidToken:
            # The key that encrypted it was rotated out of the repository.
            raise ApiError("Unable to decrypt the credential blob.", status=500) from None


# --- credentials --------------------------------------------------------------------------


def hash_access_key(access: str) -> str:
    """The id of an EC2 credential, derived from its access key as Keystone does."""
    return hashlib.sha256(access.encode()).hexdigest()


def parse_ec2_blob(blob: str) -> dict[str, Any]:
    try:
        loaded = json.loads(blob)
    except ValueError:
        raise BadRequest("Invalid blob in credential") from None
    if not isinstance(loaded, dict) or not loaded:
        raise BadRequest("Invalid input for field 'blob': expected a JSON object")
    if not isinstance(loaded.get("access"), str) or not loaded["access"]:
        raise BadRequest("Invalid input for field 'blob': 'access' is a required property")
    return loaded


def get_credential(s: Session, credential_id: str) -> m.Credential:
    cred = s.get(m.Credential, credential_id)
    if cred is None:
        raise NotFound(f"Could not find credential: {credential_id}.")
    return cred


def _validate(data: dict[str, Any], *, create: bool) -> None:
    sch.string(data, "blob", required=create, max_len=65535)
    sch.string(data, "type", required=create, min_len=1)
    sch.string(data, "user_id", required=create, min_len=1, max_len=64)
    sch.string(data, "project_id", nullable=True, max_len=64)


def create_credential(s: Session, cipher: Cipher, data: dict[str, Any],
                      trust_id: str | None = None) -> tuple[m.Credential, str]:
    """The new credential and its clear blob (the response shows it)."""
    _validate(data, create=True)
    blob: str = data["blob"]
    type_: str = data["type"]
    project_id = data.get("project_id")
    if type_.lower() == EC2:
        if not project_id:
            raise BadRequest("'project_id' is a required property (ec2 credentials need a "
                             "project)")
        loaded = parse_ec2_blob(blob)
        cred_id = hash_access_key(loaded["access"])
        if trust_id is not None:
            # An EC2 credential made with a trust-scoped token yields trust-scoped
            # tokens when it is used with /v3/ec2tokens.
            loaded["trust_id"] = trust_id
            blob = json.dumps(loaded)
    else:
        cred_id = sch.string(data, "id", min_len=1, max_len=64) or random_id()
    if s.get(m.Credential, cred_id) is not None:
        raise Conflict(f"Conflict occurred attempting to store credential - Duplicate ID, "
                       f"{cred_id}.")
    cred = m.Credential(
        id=cred_id, user_id=data["user_id"], project_id=project_id, type=type_,
        encrypted_blob=cipher.encrypt(blob), extra=sch.extra(data, CREDENTIAL_FIELDS),
    )
    s.add(cred)
    s.flush()
    return cred, blob


def update_credential(s: Session, cipher: Cipher, cred: m.Credential,
                      data: dict[str, Any]) -> str:
    """Apply ``data``; returns the clear blob after the update."""
    if not data:
        raise BadRequest("Invalid input for field 'credential': at least one property is "
                         "required")
    if "id" in data and data["id"] != cred.id:
        raise BadRequest("Cannot change ID")
    _validate(data, create=False)
    old_blob = cipher.decrypt(cred.encrypted_blob)
    blob = data.get("blob", old_blob)
    type_ = data.get("type", cred.type)
    project_id = data.get("project_id", cred.project_id)
    if type_.lower() == EC2:
        if not project_id:
            raise BadRequest("'project_id' is a required property (ec2 credentials need a "
                             "project)")
        new = parse_ec2_blob(blob)
        if cred.type.lower() == EC2:
            old = json.loads(old_blob)
            # What a credential was scoped to when made is not the owner's to change.
            for key in ("trust_id", "app_cred_id", "access_token_id"):
                if old.get(key) != new.get(key):
                    raise BadRequest(f"{key} can not be updated for credential")
    if "user_id" in data:
        cred.user_id = data["user_id"]
    cred.type = type_
    cred.project_id = project_id
    cred.encrypted_blob = cipher.encrypt(blob)
    extra = sch.extra(data, CREDENTIAL_FIELDS)
    if extra:
        cred.extra = {**cred.extra, **extra}
    s.flush()
    return blob


def list_credentials(s: Session, user_id: str | None = None,
                     type_: str | None = None) -> list[m.Credential]:
    q = select(m.Credential)
    if user_id is not None:
        q = q.where(m.Credential.user_id == user_id)
    if type_ is not None:
        q = q.where(m.Credential.type == type_)
    return list(s.scalars(q.order_by(m.Credential.id)))


# --- OS-EC2 -------------------------------------------------------------------------------


def create_ec2(s: Session, cipher: Cipher, user_id: str, project_id: str,
               trust_id: str | None) -> dict[str, Any]:
    """A new EC2 key pair for ``user_id`` on ``project_id``, as OS-EC2 shows it."""
    access = random_id()
    blob = {"access": access, "secret": random_id(), "trust_id": trust_id}
    cred = m.Credential(id=hash_access_key(access), user_id=user_id,
                        project_id=project_id, type=EC2,
                        encrypted_blob=cipher.encrypt(json.dumps(blob)), extra={})
    s.add(cred)
    s.flush()
    return ec2_view(cred, blob)


def ec2_view(cred: m.Credential, blob: dict[str, Any]) -> dict[str, Any]:
    return {"user_id": cred.user_id, "tenant_id": cred.project_id,
            "access": blob.get("access"), "secret": blob.get("secret"),
            "trust_id": blob.get("trust_id")}


def ec2_blob(cipher: Cipher, cred: m.Credential) -> dict[str, Any]:
    try:
        loaded = json.loads(cipher.decrypt(cred.encrypted_blob))
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def get_ec2(s: Session, access: str) -> m.Credential:
    cred = s.get(m.Credential, hash_access_key(access))
    if cred is None or cred.type != EC2:
        raise NotFound("EC2 access key not found.")
    return cred
