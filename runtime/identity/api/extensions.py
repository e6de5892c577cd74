"""The smaller Keystone extensions: OS-POLICY (/v3/policies) and OS-OAUTH1 consumers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.requests import Request

from runtime.common.web import ApiRouter
from runtime.identity import models as m
from runtime.identity.api.common import self_link
from runtime.identity.api.crud import Resource
from runtime.identity.service import extensions as svc

router = ApiRouter()
CONSUMERS = "/v3/OS-OAUTH1/consumers"


def policy_view(request: Request, p: m.Policy) -> dict[str, Any]:
    return {**p.extra, "id": p.id, "type": p.type, "blob": p.blob,
            "links": self_link(request, f"/v3/policies/{p.id}")}


def consumer_view(request: Request, c: m.Consumer) -> dict[str, Any]:
    return {**c.extra, "id": c.id, "description": c.description,
            "links": self_link(request, f"{CONSUMERS}/{c.id}")}


Resource(
    key="policy", plural="policies", path="/v3/policies", view=policy_view,
    find=svc.get_policy, query=lambda s: s.scalars(select(m.Policy)),
    create=svc.create_policy, update=svc.update_policy,
    read_rule="identity:get_policies", write_rule="identity:policies", filters=("type",),
).register(router)

Resource(
    key="consumer", plural="consumers", path=CONSUMERS, view=consumer_view,
    find=svc.get_consumer, query=lambda s: s.scalars(select(m.Consumer)),
    create=svc.create_consumer, update=svc.update_consumer,
    read_rule="identity:get_oauth_consumers", write_rule="identity:oauth_consumers",
    # The only time the secret is shown: the consumer needs it to sign requests.
    created_view=lambda request, c: {**consumer_view(request, c), "secret": c.secret},
).register(router)
