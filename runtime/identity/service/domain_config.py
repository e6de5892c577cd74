"""Domain-specific configuration (Keystone's /v3/domains/{id}/config).

Only Keystone's whitelisted options of the ``identity`` and ``ldap`` groups may be
stored; ``ldap.password`` is sensitive: it is stored but never shown.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from runtime.common.errors import Forbidden, NotFound
from runtime.identity import models as m

Config = dict[str, dict[str, Any]]

# Keystone's defaults for the options a domain may override, served by
# /v3/domains/config/default so clients can see what a domain inherits.
DEFAULTS: Config = {
    "identity": {"driver": "sql", "list_limit": None},
    "ldap": {
        "url": "ldap://localhost", "user": None, "suffix": "cn=example,cn=com",
        "query_scope": "one", "page_size": 0, "alias_dereferencing": "default",
        "debug_level": None, "chase_referrals": None, "user_tree_dn": None,
        "user_filter": None, "user_objectclass": "inetOrgPerson", "user_id_attribute": "cn",
        "user_name_attribute": "sn", "user_mail_attribute": "mail",
        "user_description_attribute": "description", "user_pass_attribute": "userPassword",
        "user_enabled_attribute": "enabled", "user_enabled_invert": False,
        "user_enabled_mask": 0, "user_enabled_default": "True",
        "user_attribute_ignore": ["default_project_id"],
        "user_default_project_id_attribute": None, "user_enabled_emulation": False,
        "user_enabled_emulation_dn": None, "user_enabled_emulation_use_group_config": False,
        "user_additional_attribute_mapping": [], "group_tree_dn": None, "group_filter": None,
        "group_objectclass": "groupOfNames", "group_id_attribute": "cn",
        "group_name_attribute": "ou", "group_members_are_ids": False,
        "group_member_attribute": "member", "group_desc_attribute": "description",
        "group_attribute_ignore": [], "group_additional_attribute_mapping": [],
        "tls_cacertfile": None, "tls_cacertdir": None, "use_tls": False,
        "tls_req_cert": "demand", "use_pool": True, "pool_size": 10, "pool_retry_max": 3,
        "pool_retry_delay": 0.1, "pool_connection_timeout": -1,
        "pool_connection_lifetime": 600, "use_auth_pool": True, "auth_pool_size": 100,
        "auth_pool_connection_lifetime": 60,
    },
}
SENSITIVE = {"identity": (), "ldap": ("password",)}
SECURITY_COMPLIANCE = "security_compliance"
READABLE_COMPLIANCE = ("password_regex", "password_regex_description")


def invalid(reason: str) -> Forbidden:
    # Keystone answers an unsupported group or option with 403, not 400.
    return Forbidden(f"Invalid domain specific configuration: {reason}.")


def not_found(domain_id: str, what: str) -> NotFound:
    return NotFound(f"Could not find {what} in domain configuration for domain {domain_id}.")


def _what(group: str | None, option: str | None) -> str:
    if option:
        return f"option {option} in group {group}"
    return f"group {group}" if group else "any options"


def check_group_option(group: str | None, option: str | None) -> None:
    if group is None:
        return
    if group not in DEFAULTS:
        raise invalid(f"Group {group} is not supported for domain specific configurations")
    if option is not None and option not in DEFAULTS[group] and option not in SENSITIVE[group]:
        raise invalid(f"Option {option} in group {group} is not supported for domain "
                      "specific configurations")


def check_config(config: Any) -> Config:
    if not isinstance(config, dict) or not config:
        raise invalid("No options specified")
    for group, options in config.items():
        if not options or not isinstance(options, dict):
            raise invalid(f"The value of group {group} specified in the config should be a "
                          "dictionary of options")
        for option in options:
            check_group_option(group, option)
    return config


def _rows(s: Session, domain_id: str, group: str | None = None,
          option: str | None = None) -> list[m.DomainConfig]:
    q = select(m.DomainConfig).where(m.DomainConfig.domain_id == domain_id)
    if group is not None:
        q = q.where(m.DomainConfig.group == group)
        if option is not None:
            q = q.where(m.DomainConfig.option == option)
    return list(s.scalars(q))


def _shown(rows: list[m.DomainConfig]) -> Config:
    config: Config = {}
    for r in rows:
        if r.option not in SENSITIVE.get(r.group, ()):
            config.setdefault(r.group, {})[r.option] = r.value
    return config


def get(s: Session, domain_id: str, group: str | None = None,
        option: str | None = None) -> dict[str, Any]:
    """The stored config, one group of it, or one option ({option: value})."""
    check_group_option(group, option)
    config = _shown(_rows(s, domain_id, group, option))
    if not config:
        raise not_found(domain_id, _what(group, option))
    if option is not None and group is not None:
        return {option: config[group][option]}
    return config


def _store(s: Session, domain_id: str, config: Config) -> None:
    for group, options in config.items():
        for option, value in options.items():
            s.execute(delete(m.DomainConfig).where(
                m.DomainConfig.domain_id == domain_id, m.DomainConfig.group == group,
                m.DomainConfig.option == option))
            s.add(m.DomainConfig(domain_id=domain_id, group=group, option=option, value=value))
    s.flush()


def create(s: Session, domain_id: str, config: Any) -> tuple[Config, bool]:
    """Replace the whole config; also says whether the domain had none before."""
    config = check_config(config)
    existed = bool(_rows(s, domain_id))
    s.execute(delete(m.DomainConfig).where(m.DomainConfig.domain_id == domain_id))
    _store(s, domain_id, config)
    return _shown(_rows(s, domain_id)), not existed


def update(s: Session, domain_id: str, config: Any, group: str | None = None,
           option: str | None = None) -> Config:
    """Merge ``config`` in; a group or option in the path limits it to exactly that."""
    if group is not None and option is not None:
        config = {group: config}
    config = check_config(config)
    check_group_option(group, option)
    if group is not None:
        if len(config) != 1 or (option is not None and len(config.get(group) or {}) != 1):
            if option is not None:
                raise invalid(f"Trying to update option {option} in group {group}, so that, "
                              "and only that, option must be specified  in the config")
            raise invalid(f"Trying to update group {group}, so that, and only that, group "
                          "must be specified in the config")
        if group not in config:
            raise invalid(f"request to update group {group}, but config provided contains "
                          f"group {next(iter(config))} instead")
        if option is not None and option not in config[group]:
            raise invalid(f"Trying to update option {option} in group {group}, but config "
                          f"provided contains option {next(iter(config[group]))} instead")
        if not _rows(s, domain_id, group, option):
            raise not_found(domain_id, _what(group, option))
    _store(s, domain_id, config)
    return get(s, domain_id)


def remove(s: Session, domain_id: str, group: str | None = None,
           option: str | None = None) -> None:
    check_group_option(group, option)
    if group is not None:
        current = _rows(s, domain_id, group)
        if not current:
            raise not_found(domain_id, _what(group, None))
        if option is not None and not any(r.option == option and r.value for r in current):
            raise not_found(domain_id, _what(group, option))
    for r in _rows(s, domain_id, group, option):
        s.delete(r)
    s.flush()


def defaults(group: str | None = None, option: str | None = None) -> dict[str, Any]:
    check_group_option(group, option)
    if group is None:
        return {g: dict(opts) for g, opts in DEFAULTS.items()}
    if option is None:
        return {group: dict(DEFAULTS[group])}
    if option not in DEFAULTS[group]:
        raise invalid(f"Reading the default for option {option} in group {group} is not "
                      "supported")
    return {option: DEFAULTS[group][option]}


def security_compliance(settings: Any, domain_id: str, default_domain_id: str,
                        option: str | None) -> dict[str, Any]:
    """The password rules users of the default domain may read."""
    if domain_id != default_domain_id:
        raise invalid("Reading security compliance information for any domain other than "
                      "the default domain is not allowed or supported")
    if option is not None and option not in READABLE_COMPLIANCE:
        raise invalid("Reading security compliance values other than password_regex and "
                      "password_regex_description is not allowed")
    values = {o: getattr(settings, o, None) for o in READABLE_COMPLIANCE}
    if option is not None:
        return {option: values[option]}
    return {SECURITY_COMPLIANCE: values}

