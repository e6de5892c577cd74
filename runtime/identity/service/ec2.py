"""/v3/ec2tokens: a token for whoever signed an AWS-style request with an EC2 secret.

An EC2-compatible front end (the S3/EC2 API of another service) forwards what the client
signed; the signature is recomputed here with the secret of the access key, with AWS
signature version 2 (HmacSHA256 or HmacSHA1) or version 4 (AWS4-HMAC-SHA256), the two
that clients still use. Versions 0 and 1 (no request path in the signature) are refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from runtime.common.errors import BadRequest, NotFound, Unauthorized
from runtime.identity import models as m
from runtime.identity.service import assignments, auth, credentials, trusts, validation
from runtime.identity.service.core import Identity
from runtime.identity.tokens import TokenPayload, new_audit_id

# Keystone's [credential] auth_ttl: how old a signed request may be.
AUTH_TTL = timedelta(minutes=15)


def _utf8(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode()


def _canonical_qs(params: Mapping[str, Any]) -> str:
    pairs = []
    for key in sorted(params):
        value = urllib.parse.quote(_utf8(params[key]), safe="-_~")
        pairs.append(urllib.parse.quote(key, safe="") + "=" + value)
    return "&".join(pairs)


def _signature_v2(secret: str, creds: Mapping[str, Any]) -> str:
    params = dict(creds.get("params") or {})
    method = params.get("SignatureMethod", "HmacSHA256")
    digest = {"HmacSHA256": hashlib.sha256, "HmacSHA1": hashlib.sha1}.get(method)
    if digest is None:
        raise Unauthorized(f"Unsupported EC2 signature method: {method}")
    params.pop("Signature", None)
    # Signers always sign SignatureMethod; when a front end drops it, the default counts.
    params["SignatureMethod"] = method
    to_sign = f"{creds.get('verb')}\n{creds.get('host')}\n{creds.get('path')}\n"
    to_sign += _canonical_qs(params)
    mac = hmac.new(secret.encode(), to_sign.encode(), digest)
    return base64.b64encode(mac.digest()).decode()


def _is_v4(creds: Mapping[str, Any]) -> bool:
    headers = creds.get("headers") or {}
    params = creds.get("params") or {}
    auth = headers.get("Authorization", "")
    return (isinstance(auth, str) and auth.startswith("AWS4-HMAC-SHA256")) or params.get(
        "X-Amz-Algorithm") == "AWS4-HMAC-SHA256"


def _signature_v4(secret: str, creds: Mapping[str, Any]) -> str:
    headers: Mapping[str, Any] = creds.get("headers") or {}
    params: Mapping[str, Any] = creds.get("params") or {}
    verb = str(creds.get("verb", "")).upper()

    def auth_param(name: str) -> str:
        if "Authorization" in headers:
            return str(headers["Authorization"]).partition(f"{name}=")[2].split(",")[0]
        return str(params.get(f"X-Amz-{name}", ""))

    signed = auth_param("SignedHeaders")
    lowered = {str(k).lower().strip(): str(v).strip() for k, v in headers.items()}
    header_lines = [f"{h}:{lowered[h]}" for h in signed.split(";") if h in lowered]
    # POST requests carry their parameters in the body, which body_hash covers.
    query = "" if verb == "POST" else _canonical_qs(params)
    canonical = "\n".join((verb, str(creds.get("path", "")), query,
                           "\n".join(header_lines) + "\n", signed,
                           str(creds.get("body_hash", ""))))
    scope_parts = auth_param("Credential").split("/")
    if len(scope_parts) < 5:
        raise Unauthorized("Invalid EC2 signature.")
    date = str(headers.get("X-Amz-Date") or params.get("X-Amz-Date") or "")
    if not date.startswith(scope_parts[1]):
        raise Unauthorized("Request date mismatch error")
    to_sign = "\n".join(("AWS4-HMAC-SHA256", date, "/".join(scope_parts[1:]),
                         hashlib.sha256(canonical.encode()).hexdigest()))

    def sign(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = sign(b"AWS4" + secret.encode(), scope_parts[1])
    for part in (scope_parts[2], scope_parts[3], "aws4_request"):
        key = sign(key, part)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def signature(secret: str, creds: Mapping[str, Any]) -> str:
    version = (creds.get("params") or {}).get("SignatureVersion")
    if version == "2":
        return _signature_v2(secret, creds)
    if _is_v4(creds):
        return _signature_v4(secret, creds)
    if version is not None:
        raise Unauthorized(f"Unknown signature version: {version}")
    raise Unauthorized("Unexpected signature format")


def check_signature(secret: str, creds: dict[str, Any]) -> None:
    given = creds.get("signature")
    if not isinstance(given, str) or not given:
        raise Unauthorized("EC2 signature not supplied.")
    if hmac.compare_digest(given, signature(secret, creds)):
        return
    host = str(creds.get("host", ""))
    if ":" in host:
        # Some client libraries sign without the port of the host.
        hostname = urllib.parse.urlsplit("//" + host).hostname or ""
        if hmac.compare_digest(given, signature(secret, {**creds, "host": hostname})):
            return
    raise Unauthorized("Invalid EC2 signature.")


def _parse_timestamp(raw: str) -> datetime:
    for fmt in ("%Y%m%dT%H%M%SZ", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ"):
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise Unauthorized(f"Credential timestamp is invalid: {raw}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def check_timestamp(creds: Mapping[str, Any]) -> None:
    """Refuse replays of signed requests older than the auth TTL."""
    params = creds.get("params") or {}
    headers = creds.get("headers") or {}
    raw = params.get("Timestamp") or headers.get("X-Amz-Date") or params.get("X-Amz-Date")
    if not raw:
        return  # the signer chose not to sign a timestamp
    if datetime.now(UTC) > _parse_timestamp(str(raw)) + AUTH_TTL:
        raise Unauthorized("Credential is expired")


def credentials_from_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not body:
        raise BadRequest("request must include a request body")
    creds = body.get("credentials") or body.get("credential") or body.get("ec2Credentials")
    if not isinstance(creds, dict) or "access" not in creds:
        raise Unauthorized("EC2 Signature not supplied")
    for key in ("params", "headers"):
        if not isinstance(creds.get(key) or {}, dict):
            raise BadRequest(f"Invalid input for field '{key}': expected an object")
    return creds


def authenticate(ident: Identity, body: Any) -> tuple[str, validation.ValidToken]:
    """POST /v3/ec2tokens: a project-scoped token for a correctly signed request."""
    creds = credentials_from_body(body)
    cipher = credentials.Cipher(ident)
    with ident.read() as s:
        cred = credentials.get_ec2(s, str(creds["access"]))
        blob = credentials.ec2_blob(cipher, cred)
        secret = blob.get("secret")
        if not isinstance(secret, str):
            raise Unauthorized("Invalid EC2 signature.")
        check_signature(secret, creds)
        user = s.get(m.User, cred.user_id)
        project = s.get(m.Project, cred.project_id) if cred.project_id else None
        if user is None or project is None:
            raise Unauthorized(auth.AUTH_FAILED)
        domain = s.get(m.Project, user.domain_id)
        if not (user.enabled and project.enabled and domain is not None and domain.enabled):
            raise Unauthorized(auth.AUTH_FAILED)
        check_timestamp(creds)
        trust_id = blob.get("trust_id")
        trust: m.Trust | None = None
        if trust_id:
            try:
                trust = trusts.get_trust(s, trust_id)
            except NotFound:
                raise Unauthorized("The trust of this EC2 credential is gone.") from None
        elif not assignments.effective_roles(s, user.id, project_id=project.id):
            raise Unauthorized("User not valid for project.")
    if trust is not None and trust.remaining_uses is not None:
        with ident.write() as s:
            trusts.consume_use(s, trust.id)
    now = time.time()
    expires = now + ident.settings.token_expiration
    if trust is not None and trust.expires_at is not None:
        expires = min(expires, trust.expires_at.timestamp())
    # The credential's user is whoever made it: the trustor when a trust token with
    # impersonation made it, else the trustee, which is what the token must stand for.
    payload = TokenPayload(
        user_id=cred.user_id, methods=("ec2credential",), issued_at=now, expires_at=expires,
        audit_ids=(new_audit_id(),),
        project_id=trust.project_id if trust is not None else project.id,
        trust_id=trust.id if trust is not None else None,
    )
    token = ident.codec.encode(payload)
    try:
        return token, validation.validate(ident, token, payload=payload)
    except NotFound as exc:
        raise Unauthorized(exc.message) from None
