"""/v3/credentials, the OS-EC2 credentials of a user, and /v3/ec2tokens."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from runtime.common.errors import BadRequest, NotFound
from runtime.common.web import ApiRouter, empty_response, json_response
from runtime.identity import models as m
from runtime.identity import schemas as sch
from runtime.identity.api.auth import token_body
from runtime.identity.api.common import body, collection, enforce, ident, member, self_link
from runtime.identity.service import credentials as svc
from runtime.identity.service import ec2
from runtime.identity.service.projects import get_project
from runtime.identity.service.users import get_user

router = ApiRouter()


def credential_view(request: Request, cred: m.Credential, blob: str) -> dict[str, Any]:
    return {
        **cred.extra,
        "id": cred.id,
        "user_id": cred.user_id,
        "project_id": cred.project_id,
        "type": cred.type,
        "blob": blob,
        "links": self_link(request, f"/v3/credentials/{cred.id}"),
    }


@router.get("/v3/credentials")
async def list_credentials(request: Request) -> Response:
    ctx = enforce(request, "identity:list_credentials")
    q = request.query_params
    user_id = q.get("user_id")
    if not ctx.is_admin:
        # Everyone else sees their own credentials only, whatever they ask for.
        if user_id is not None and user_id != ctx.user_id:
            return collection(request, "credentials", [])
        user_id = ctx.user_id
    cipher = svc.Cipher(ident(request))
    with ident(request).read() as s:
        creds = svc.list_credentials(s, user_id, q.get("type"))
        items = [credential_view(request, c, cipher.decrypt(c.encrypted_blob)) for c in creds]
    return collection(request, "credentials", items)


@router.post("/v3/credentials")
async def create_credential(request: Request) -> Response:
    data = sch.entity(await body(request), "credential")
    ctx = enforce(request, "identity:create_credential", {"user_id": data.get("user_id")})
    cipher = svc.Cipher(ident(request))
    with ident(request).write() as s:
        cred, blob = svc.create_credential(s, cipher, data, ctx.token_data.get("trust_id"))
        return member("credential", credential_view(request, cred, blob), 201)


@router.get("/v3/credentials/{credential_id}")
async def get_credential(request: Request) -> Response:
    cipher = svc.Cipher(ident(request))
    with ident(request).read() as s:
        cred = svc.get_credential(s, request.path_params["credential_id"])
        enforce(request, "identity:get_credential", {"user_id": cred.user_id})
        return member("credential",
                      credential_view(request, cred, cipher.decrypt(cred.encrypted_blob)))


@router.patch("/v3/credentials/{credential_id}")
async def update_credential(request: Request) -> Response:
    data = sch.entity(await body(request), "credential")
    cipher = svc.Cipher(ident(request))
    with ident(request).write() as s:
        cred = svc.get_credential(s, request.path_params["credential_id"])
        enforce(request, "identity:update_credential", {"user_id": cred.user_id})
        if "user_id" in data:
            # Handing a credential to someone else needs the right to make it for them.
            enforce(request, "identity:update_credential", {"user_id": data["user_id"]})
        blob = svc.update_credential(s, cipher, cred, data)
        return member("credential", credential_view(request, cred, blob))


@router.delete("/v3/credentials/{credential_id}")
async def delete_credential(request: Request) -> Response:
    with ident(request).write() as s:
        cred = svc.get_credential(s, request.path_params["credential_id"])
        enforce(request, "identity:delete_credential", {"user_id": cred.user_id})
        s.delete(cred)
    return empty_response()


# --- OS-EC2 -------------------------------------------------------------------------------


def ec2_view(request: Request, view: dict[str, Any]) -> dict[str, Any]:
    path = f"/v3/users/{view['user_id']}/credentials/OS-EC2/{view['access']}"
    return {**view, "links": self_link(request, path)}


@router.get("/v3/users/{user_id}/credentials/OS-EC2")
async def list_ec2(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    enforce(request, "identity:ec2_credentials", {"user_id": user_id})
    cipher = svc.Cipher(ident(request))
    with ident(request).read() as s:
        get_user(s, user_id)
        items = [ec2_view(request, svc.ec2_view(c, svc.ec2_blob(cipher, c)))
                 for c in svc.list_credentials(s, user_id, svc.EC2)]
    return collection(request, "credentials", items)


@router.post("/v3/users/{user_id}/credentials/OS-EC2")
async def create_ec2(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    ctx = enforce(request, "identity:ec2_credentials", {"user_id": user_id})
    data = await body(request)
    if not isinstance(data, dict) or not isinstance(data.get("tenant_id"), str):
        raise BadRequest("Expecting to find tenant_id in request body.")
    cipher = svc.Cipher(ident(request))
    with ident(request).write() as s:
        get_user(s, user_id)
        project = get_project(s, data["tenant_id"])
        view = svc.create_ec2(s, cipher, user_id, project.id, ctx.token_data.get("trust_id"))
    return member("credential", ec2_view(request, view), 201)


@router.get("/v3/users/{user_id}/credentials/OS-EC2/{access}")
async def get_ec2(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    cipher = svc.Cipher(ident(request))
    with ident(request).read() as s:
        cred = _ec2_of(request, s, user_id)
        view = svc.ec2_view(cred, svc.ec2_blob(cipher, cred))
    return member("credential", ec2_view(request, view))


@router.delete("/v3/users/{user_id}/credentials/OS-EC2/{access}")
async def delete_ec2(request: Request) -> Response:
    with ident(request).write() as s:
        s.delete(_ec2_of(request, s, request.path_params["user_id"]))
    return empty_response()


def _ec2_of(request: Request, s: Session, user_id: str) -> m.Credential:
    """The user's EC2 credential named by the path, once the caller may touch it."""
    enforce(request, "identity:ec2_credentials", {"user_id": user_id})
    get_user(s, user_id)
    cred = svc.get_ec2(s, request.path_params["access"])
    enforce(request, "identity:ec2_credentials", {"user_id": cred.user_id})
    if cred.user_id != user_id:
        raise NotFound("EC2 access key not found.")
    return cred


@router.post("/v3/ec2tokens")
async def ec2tokens(request: Request) -> Response:
    data = await body(request)
    token, valid = await run_in_threadpool(ec2.authenticate, ident(request), data)
    return json_response(token_body(valid, "nocatalog" not in request.query_params),
                         headers={"X-Subject-Token": token})
