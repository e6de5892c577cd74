"""Who may do what to images, in one table (Glance's default policy).

Targets carry the image's ``owner`` and ``visibility`` and, for shared images, the
caller's ``member_status`` (None when the caller's project is not a member).
Who may *see* an image is :func:`visible`: an image the caller cannot see is a 404,
never a 403, so its existence does not leak.
"""

from __future__ import annotations

from runtime.common.context import Context
from runtime.common.policy import ADMIN, MEMBER, READER, Rule, Target, admin, any_of, authenticated


def _owner(min_role: str) -> Rule:
    def rule(ctx: Context, t: Target) -> bool:
        return (ctx.project_id is not None and t.get("owner") == ctx.project_id
                and ctx.has_role(min_role))
    return rule


def _member_of_project(ctx: Context, _t: Target) -> bool:
    return ctx.project_id is not None and ctx.has_role(MEMBER)


def _shared_member(ctx: Context, t: Target) -> bool:
    return t.get("member_status") is not None and ctx.has_role(READER)


def _the_member(ctx: Context, t: Target) -> bool:
    return ctx.project_id is not None and t.get("member_id") == ctx.project_id


def visible(ctx: Context, t: Target) -> bool:
    return (ctx.has_role(ADMIN) or t.get("visibility") in ("public", "community")
            or _owner(READER)(ctx, t) or _shared_member(ctx, t))


owner_member = _owner(MEMBER)
_manage = any_of(admin, owner_member)

RULES: dict[str, Rule] = {
    "get_image": visible,
    "get_images": authenticated,
    "add_image": any_of(admin, _member_of_project),
    "set_image_owner": admin,  # creating or moving an image into another project
    "modify_image": _manage,
    "publicize_image": admin,
    "communitize_image": _manage,
    "delete_image": _manage,
    "upload_image": _manage,
    "download_image": visible,
    "deactivate": _manage,
    "reactivate": _manage,
    "add_tag": _manage,
    "delete_tag": _manage,
    "get_members": visible,
    "get_member": any_of(admin, _owner(READER), _the_member),
    "add_member": _manage,
    "delete_member": _manage,
    "modify_member": any_of(admin, _the_member),
    "stage_image": _manage,
    "import_image": _manage,
    "get_image_tasks": any_of(admin, _owner(READER)),
    "get_tasks": admin,
    "add_task": any_of(admin, _member_of_project),
    "get_task": any_of(admin, _owner(READER)),
    "metadef_read": authenticated,
    "metadef_admin": admin,
}
