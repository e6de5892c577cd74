"""Who may call what in the identity API, in one table.

Admin (on any scope) may do everything, as with Keystone's defaults; other callers may
read and change what is theirs: their user, their projects, their credentials and
application credentials, their tokens.
"""

from __future__ import annotations

from runtime.common.context import Context
from runtime.common.policy import (
    Rule,
    Target,
    admin,
    any_of,
    authenticated,
    owner,
    system_reader,
)


def _own_project(ctx: Context, t: Target) -> bool:
    return ctx.project_id is not None and t.get("project_id") == ctx.project_id


def _own_domain(ctx: Context, t: Target) -> bool:
    d = t.get("domain_id")
    return d is not None and d in (ctx.domain_id, ctx.project_domain_id, ctx.user_domain_id)


def _trust_party(ctx: Context, t: Target) -> bool:
    return ctx.user_id is not None and ctx.user_id in (
        t.get("trustor_user_id"), t.get("trustee_user_id"))


_owner = any_of(admin, owner())
_system_reader_or_admin = any_of(admin, system_reader)

RULES: dict[str, Rule] = {
    # tokens and the /auth API
    "identity:validate_token": _owner,
    "identity:check_token": _owner,
    "identity:revoke_token": _owner,
    "identity:get_auth_catalog": authenticated,
    "identity:get_auth_projects": authenticated,
    "identity:get_auth_domains": authenticated,
    "identity:get_auth_system": authenticated,
    # domains and projects
    "identity:get_domain": any_of(admin, _own_domain),
    "identity:list_domains": admin,
    "identity:create_domain": admin,
    "identity:update_domain": admin,
    "identity:delete_domain": admin,
    "identity:get_project": any_of(admin, _own_project),
    "identity:list_projects": admin,
    "identity:list_user_projects": _owner,
    "identity:create_project": admin,
    "identity:update_project": admin,
    "identity:delete_project": admin,
    "identity:project_tags": any_of(admin, _own_project),
    "identity:update_project_tags": admin,
    # users and groups
    "identity:get_user": _owner,
    "identity:list_users": admin,
    "identity:create_user": admin,
    "identity:update_user": admin,
    "identity:delete_user": admin,
    "identity:get_group": admin,
    "identity:list_groups": admin,
    "identity:list_groups_for_user": _owner,
    "identity:create_group": admin,
    "identity:update_group": admin,
    "identity:delete_group": admin,
    "identity:list_users_in_group": admin,
    "identity:add_user_to_group": admin,
    "identity:remove_user_from_group": admin,
    "identity:check_user_in_group": admin,
    # roles and assignments: system readers read them all, as with Keystone's defaults
    "identity:get_role": _system_reader_or_admin,
    "identity:list_roles": _system_reader_or_admin,
    "identity:create_role": admin,
    "identity:update_role": admin,
    "identity:delete_role": admin,
    "identity:get_implied_roles": _system_reader_or_admin,
    "identity:implied_roles": admin,
    "identity:check_grants": _system_reader_or_admin,
    "identity:grants": admin,
    "identity:list_role_assignments": _system_reader_or_admin,
    "identity:list_role_inference_rules": _system_reader_or_admin,
    # catalog and its extensions: anyone with a token reads regions; system readers
    # read the rest (Keystone's "role:reader and system_scope:all"); admins write.
    "identity:get_region": authenticated,
    "identity:list_regions": authenticated,
    "identity:manage_regions": admin,
    "identity:get_service": _system_reader_or_admin,
    "identity:manage_services": admin,
    "identity:get_endpoint": _system_reader_or_admin,
    "identity:list_endpoints": _system_reader_or_admin,
    "identity:manage_endpoints": admin,
    "identity:get_endpoint_groups": _system_reader_or_admin,
    "identity:endpoint_groups": admin,
    "identity:get_project_endpoints": _system_reader_or_admin,
    "identity:project_endpoints": admin,
    "identity:get_policies": _system_reader_or_admin,
    "identity:policies": admin,
    "identity:get_domain_config": _system_reader_or_admin,
    "identity:get_security_compliance_domain_config": authenticated,
    "identity:domain_config": admin,
    "identity:get_oauth_consumers": _system_reader_or_admin,
    "identity:oauth_consumers": admin,
    "identity:limits_read": authenticated,
    "identity:limits_manage": admin,
    # credentials
    "identity:get_credential": _owner,
    "identity:list_credentials": authenticated,  # filtered to the caller's own
    "identity:create_credential": _owner,
    "identity:update_credential": _owner,
    "identity:delete_credential": _owner,
    "identity:ec2_credentials": _owner,
    "identity:application_credentials": _owner,
    "identity:access_rules": _owner,
    # trusts
    "identity:create_trust": owner("trustor_user_id"),
    "identity:get_trust": any_of(admin, _trust_party),
    "identity:list_trusts": admin,
    "identity:list_trusts_for_trustor": any_of(admin, owner("trustor_user_id")),
    "identity:list_trusts_for_trustee": any_of(admin, owner("trustee_user_id")),
    "identity:delete_trust": any_of(admin, owner("trustor_user_id")),
    "identity:trust_roles": any_of(admin, _trust_party),
}
