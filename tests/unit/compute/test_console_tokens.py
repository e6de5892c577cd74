"""Serial console tokens open one server's console, for a while, and cannot be forged."""

from __future__ import annotations

from runtime.compute.service import consoles


def test_a_token_opens_its_server_until_it_expires() -> None:
    token = consoles.issue("secret", "server-1", now=1000.0)
    assert consoles.verify("secret", token, now=1000.0 + 60) == "server-1"
    assert consoles.verify("secret", token, now=1000.0 + consoles.TOKEN_TTL + 1) is None


def test_forged_or_foreign_tokens_are_refused() -> None:
    token = consoles.issue("secret", "server-1", now=1000.0)
    assert consoles.verify("other-secret", token, now=1000.0) is None
    forged = token.replace("server-1", "server-2")
    assert consoles.verify("secret", forged, now=1000.0) is None
    assert consoles.verify("secret", "garbage", now=1000.0) is None
