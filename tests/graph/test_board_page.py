"""The ``/board`` page: served in development only, with a vendored graphql-ws that is the npm
build byte for byte, and end to end in a real Chromium against a real uvicorn — sign in (with the
MFA enrolment a receptionist needs), see today's diary, and watch a booking made over HTTP appear
without a reload."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from playwright.async_api import Browser, async_playwright, expect

from db.models import ScheduleSettings
from graph.board_page import ASSETS_DIR, CONTENT_SECURITY_POLICY
from tests import factories
from tests.graph.test_production_surface import production_settings, serve
from tests.graph.test_schedule_booking import BOOK, booking
from tests.realtime.harness import Server, graphql
from tests.scheduling_fixtures import Diary, diary, iso

ROOT = Path(__file__).resolve().parents[2]
VENDORED = ASSETS_DIR / "graphql-ws@6.4.2" / "umd" / "graphql-ws.min.js"
CHROMIUM = Path(os.environ.get("AESCRM_TEST_CHROMIUM", "/usr/bin/chromium"))
TIMEOUT_MS = 20_000  # a loaded 2-core machine starts Chromium and the socket slowly


async def test_the_board_page_is_served_in_development(client: httpx.AsyncClient) -> None:
    page = await client.get("/board")
    script = await client.get("/board/assets/graphql-ws@6.4.2/umd/graphql-ws.min.js")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert 'src="/board/assets/board.js"' in page.text
    assert script.status_code == 200
    assert script.content == VENDORED.read_bytes()


async def test_the_board_page_is_not_served_in_production(
    database_url: str, tmp_path: Path
) -> None:
    async with serve(production_settings(database_url, tmp_path)) as http:
        page = await http.get("/board")
        script = await http.get("/board/assets/board.js")
    assert page.status_code == 404
    assert script.status_code == 404


def test_the_vendored_graphql_ws_is_the_npm_build_named_in_the_readme() -> None:
    readme = (ASSETS_DIR / "README.md").read_text()
    digest = hashlib.sha256(VENDORED.read_bytes()).hexdigest()
    assert f"`{digest}`" in readme
    assert (ASSETS_DIR / "graphql-ws@6.4.2" / "LICENSE.md").read_text().startswith("MIT License")
    installed = ROOT / "examples/js/node_modules/graphql-ws"
    if installed.is_dir():  # the JS example's install: the same package, the same bytes
        assert '"version": "6.4.2"' in (installed / "package.json").read_text()
        assert (installed / "umd/graphql-ws.min.js").read_bytes() == VENDORED.read_bytes()


# ---- end to end in a real browser ----------------------------------------------------------


def chromium_or_skip() -> Path:
    """The system Chromium (Playwright's own download is not used). Under CI its absence fails:
    .ci/run installs it, so a missing one means the install step broke."""
    if CHROMIUM.exists() or shutil.which(str(CHROMIUM)):
        return CHROMIUM
    message = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_or_skip()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(executable))
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def server(live_server: Server) -> Server:
    return live_server


async def book(server: Server, d: Diary, hour: int) -> str:
    body = await graphql(server, BOOK, booking(d, iso(d.at(0, hour))), d.token)
    assert "errors" not in body, body
    return str(body["data"]["bookAppointment"]["appointment"]["id"])


def row(page: Any, appointment_id: str) -> Any:
    return page.locator(f'tr[data-appointment-id="{appointment_id}"]')


async def test_a_receptionist_signs_in_sees_today_and_a_new_booking_appears_live(
    server: Server, live_orm: None, browser: Browser
) -> None:
    d = await diary()
    # Today's diary at any hour of the day the test runs: earlier slots may be in the past.
    await ScheduleSettings.update_or_create(
        practice_id=d.practice.id, defaults={"allow_past_booking": True}
    )
    morning = await book(server, d, 9)

    page = await browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(f"{message.type}: {message.text}"))
    await page.goto(f"{server.http}/board")
    await page.get_by_label("Email").fill(d.receptionist.email)
    await page.get_by_label("Password").fill(factories.PASSWORD)
    await page.get_by_role("button", name="Sign in").click()

    # A receptionist holds billing:write, so the first sign-in enrols an authenticator.
    secret = page.locator("#enrol-secret")
    await expect(secret).to_have_text(re.compile(r"^[A-Z2-7]{16,}$"), timeout=TIMEOUT_MS)
    await page.get_by_label("Six-digit code").fill(pyotp.TOTP(await secret.inner_text()).now())
    await page.get_by_role("button", name="Confirm").click()
    await expect(page.locator("#recovery-codes li")).to_have_count(10, timeout=TIMEOUT_MS)
    recovery_code = await page.locator("#recovery-codes li").first.inner_text()
    await page.get_by_role("button", name=re.compile("show the board")).click()

    first = row(page, morning)
    await expect(first).to_be_visible(timeout=TIMEOUT_MS)
    for done in ("#login", "#enrol", "#recovery"):  # one step at a time on screen
        await expect(page.locator(done)).to_be_hidden()
    await expect(first.locator("td.patient")).to_contain_text(d.patient.last_name)
    await expect(first.locator("td.time")).to_have_text("09:00–09:30")
    await expect(first.locator("td.status")).to_have_text("Booked")
    await expect(page.locator("#live")).to_have_text("Live", timeout=TIMEOUT_MS)
    await page.evaluate("window.notReloaded = true")

    afternoon = await book(server, d, 14)

    second = row(page, afternoon)
    await expect(second).to_be_visible(timeout=TIMEOUT_MS)
    await expect(second.locator("td.time")).to_have_text("14:00–14:30")
    await expect(page.locator("#rows tr")).to_have_count(2)
    assert await page.evaluate("window.notReloaded") is True  # no reload: the socket did it

    # Signed out and in again: now enrolled, the sign-in asks for a code (a recovery code here;
    # the enrolment's TOTP code was spent and the next one may be 30 seconds away).
    await page.get_by_role("button", name="Sign out").click()
    await page.get_by_label("Email").fill(d.receptionist.email)
    await page.get_by_label("Password").fill(factories.PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    code = page.get_by_label(re.compile("Code from your authenticator app"))
    await expect(code).to_be_visible(timeout=TIMEOUT_MS)
    await code.fill(recovery_code)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#rows tr")).to_have_count(2, timeout=TIMEOUT_MS)
    await expect(page.locator("#login")).to_be_hidden()
    assert problems == []
