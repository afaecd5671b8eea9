"""SSRF: which webhook targets are refused, at registration and again at delivery."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest

from services.webhooks import config, targets
from services.webhooks.config import WebhookConfig
from services.webhooks.targets import TargetRefused


@pytest.fixture
def strict() -> Iterator[None]:
    config.override(WebhookConfig(allow_loopback=False))
    yield
    config.override(None)


@pytest.fixture
def loopback_allowed() -> Iterator[None]:
    config.override(WebhookConfig(allow_loopback=True))
    yield
    config.override(None)


def dns(table: dict[str, list[str]]) -> targets.Resolver:
    async def resolve(host: str, port: int) -> list[str]:
        return table.get(host, [])

    return resolve


REFUSED_URLS = [
    "https://10.0.0.1/hook",
    "https://127.0.0.1/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/hook",
    "https://[fd00:ec2::254]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:10.0.0.1]/hook",
    "https://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 form of 169.254.169.254
    "https://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
    "https://100.64.0.1/hook",  # CGNAT
    "https://192.168.1.10/hook",
    "https://172.16.0.5/hook",
    "https://0.0.0.0/hook",
    "https://224.0.0.1/hook",  # multicast
    "https://240.0.0.1/hook",  # reserved
    "https://[fe80::1]/hook",
    "https://[fc00::1]/hook",
    "http://93.184.215.14/hook",  # public, but not https
    "ftp://93.184.215.14/hook",
    "https://user:pass@93.184.215.14/hook",
    "https:///nohost",
    "https://93.184.215.14/hook#frag",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
async def test_refused_targets(strict: None, url: str) -> None:
    with pytest.raises(TargetRefused) as refused:
        await targets.check(url, resolver=dns({}))
    assert refused.value.code == "BAD_USER_INPUT"
    assert refused.value.field == "url"


async def test_a_name_resolving_to_a_private_address_is_refused(strict: None) -> None:
    resolver = dns({"hooks.partner.example": ["93.184.215.14", "10.1.2.3"]})
    with pytest.raises(TargetRefused):
        await targets.check("https://hooks.partner.example/in", resolver=resolver)


async def test_a_name_that_does_not_resolve_is_refused(strict: None) -> None:
    with pytest.raises(TargetRefused):
        await targets.check("https://nowhere.partner.example/in", resolver=dns({}))


async def test_a_public_https_name_is_allowed_with_its_addresses(strict: None) -> None:
    resolver = dns({"hooks.partner.example": ["93.184.215.14", "2606:2800:21f:cb07::1"]})
    target = await targets.check("https://Hooks.Partner.Example:8443/in?x=1", resolver=resolver)
    assert target.host == "hooks.partner.example"
    assert target.port == 8443
    assert target.addresses == (
        ipaddress.ip_address("93.184.215.14"),
        ipaddress.ip_address("2606:2800:21f:cb07::1"),
    )


async def test_loopback_is_refused_without_the_allowance(strict: None) -> None:
    with pytest.raises(TargetRefused):
        await targets.check("http://127.0.0.1:8080/hook")
    with pytest.raises(TargetRefused):
        await targets.check(
            "http://localhost:8080/hook", resolver=dns({"localhost": ["127.0.0.1"]})
        )


async def test_the_allowance_admits_loopback_only(loopback_allowed: None) -> None:
    assert (await targets.check("http://127.0.0.1:8080/hook")).port == 8080
    for url in ("http://10.0.0.1/hook", "https://169.254.169.254/", "http://93.184.215.14/"):
        with pytest.raises(TargetRefused):
            await targets.check(url)


def test_the_allowance_is_off_by_default_and_refused_in_production(tmp_path: object) -> None:
    from graph.settings import Settings

    assert Settings().webhook_allow_loopback is False
    production = Settings(env="production", webhook_allow_loopback=True)
    assert any("AESCRM_WEBHOOK_ALLOW_LOOPBACK" in p for p in production.production_problems())
