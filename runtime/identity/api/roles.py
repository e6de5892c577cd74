"""Placeholder until this area lands."""

from runtime.common.web import ApiRouter

router = ApiRouter()
