"""A partner app following one practice's diary: the example of docs/partners.md.

1. Gets an access token with OAuth 2.0 client credentials (authlib).
2. Reads one day's board over HTTP (gql), which also gives the board's `sequence` watermark.
3. Subscribes to `scheduleChanged` over WebSocket (gql, graphql-transport-ws) with `since` set
   to that watermark, so nothing committed after the read is missed; after a dropped connection
   it subscribes again with `since` = the last sequence it processed (no gap, no duplicate).

Prints one JSON object per line: {"board": …}, {"subscribed": {"since": N}}, {"event": …}.

    export AESCRM_CLIENT_ID=… AESCRM_CLIENT_SECRET=…   # from registerPartnerClient or the CLI
    python partner_board.py --url http://127.0.0.1:8000 --practice <practice id>

The client secret is read from the environment, never from the command line (process lists
and shell histories keep arguments).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as wall_time
from typing import Any
from zoneinfo import ZoneInfo

from authlib.integrations.httpx_client import AsyncOAuth2Client
from gql import Client, GraphQLRequest
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.exceptions import TransportClosed, TransportError, TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from graphql import ExecutionResult

BOARD = """
query Board($practiceId: ID!, $from: DateTime!, $to: DateTime!) {
  schedule(practiceId: $practiceId, from: $from, to: $to) {
    sequence
    appointments { ...Row }
  }
}
fragment Row on ScheduleAppointment {
  id startsAt endsAt status
  practitioner { displayName }
  room { name }
  appointmentType { name }
  patient { id }
}"""

LIVE = """
subscription Live($practiceId: ID!, $from: DateTime, $to: DateTime, $since: Int) {
  scheduleChanged(practiceId: $practiceId, from: $from, to: $to, since: $since) {
    kind sequence previousSequence appointmentId
    appointment { ...Row }
  }
}
fragment Row on ScheduleAppointment {
  id startsAt endsAt status
  practitioner { displayName }
  room { name }
  appointmentType { name }
  patient { id }
}"""


class ResyncRequired(Exception):
    """`since` is older than the events the server keeps: read the board again."""


class Partner:
    """Holds the token and renews it shortly before it expires."""

    def __init__(self, url: str, client_id: str, client_secret: str) -> None:
        self.url = url.rstrip("/")
        self.oauth = AsyncOAuth2Client(
            client_id,
            client_secret,
            token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name
        )
        self.token: dict[str, Any] = {}

    async def access_token(self) -> str:
        if not self.token or self.token["expires_at"] - time.time() < 60:
            self.token = await self.oauth.fetch_token(
                f"{self.url}/oauth/token", grant_type="client_credentials"
            )
        return str(self.token["access_token"])

    async def close(self) -> None:
        await self.oauth.aclose()


def day_span(day: date, zone: ZoneInfo) -> tuple[str, str]:
    """The practice's local day as [from, to) instants with offsets."""
    start = datetime.combine(day, wall_time(0), zone)
    end = datetime.combine(day + timedelta(days=1), wall_time(0), zone)
    return start.isoformat(), end.isoformat()


def emit(kind: str, value: Any) -> None:
    print(json.dumps({kind: value}), flush=True)


def hidden_patients(result: ExecutionResult) -> None:
    """Field errors beside data are expected: a patient who does not share data with this app
    is `null` with FORBIDDEN at its path (the booking still shows as busy time). Anything else
    is a real failure."""
    for error in result.errors or []:
        code = (error.extensions or {}).get("code")
        if code == "RESYNC_REQUIRED":
            raise ResyncRequired(error.message)
        if code != "FORBIDDEN" or not error.path or error.path[-1] != "patient":
            raise TransportQueryError(str(error), errors=[error.formatted])


async def read_board(partner: Partner, variables: dict[str, Any]) -> dict[str, Any]:
    transport = AIOHTTPTransport(
        url=f"{partner.url}/graphql",
        headers={"authorization": f"Bearer {await partner.access_token()}"},
    )
    async with Client(transport=transport) as session:
        request = GraphQLRequest(BOARD, variable_values=variables)
        result = await session.execute(request, get_execution_result=True)
    hidden_patients(result)
    assert result.data is not None
    board: dict[str, Any] = result.data["schedule"]
    return board


@dataclass
class Progress:
    since: int  # the last sequence processed: `since` when (re)subscribing
    seen: int = 0


async def follow(
    partner: Partner, variables: dict[str, Any], progress: Progress, events: int | None
) -> None:
    """Events after ``progress.since`` until ``events`` have arrived (forever if None)."""
    ws_url = partner.url.replace("http", "ws", 1) + "/graphql"
    transport = WebsocketsTransport(
        url=ws_url,
        init_payload={"authorization": f"Bearer {await partner.access_token()}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],  # graphql-transport-ws
    )
    async with Client(transport=transport) as session:
        emit("subscribed", {"since": progress.since})
        request = GraphQLRequest(LIVE, variable_values={**variables, "since": progress.since})
        async for result in session.subscribe(request, get_execution_result=True):
            hidden_patients(result)
            assert result.data is not None
            event = result.data["scheduleChanged"]
            if event["sequence"] <= progress.since:
                continue  # already processed (a replay at the seam): drop it
            progress.since = event["sequence"]
            emit("event", event)
            progress.seen += 1
            if events is not None and progress.seen >= events:
                return


async def run(arguments: argparse.Namespace) -> None:
    partner = Partner(
        arguments.url, os.environ["AESCRM_CLIENT_ID"], os.environ["AESCRM_CLIENT_SECRET"]
    )
    zone = ZoneInfo(arguments.timezone)
    day = arguments.day or datetime.now(zone).date()
    start, end = day_span(day, zone)
    variables = {"practiceId": arguments.practice, "from": start, "to": end}
    try:
        if arguments.since is None:
            board = await read_board(partner, variables)
            emit("board", {"day": day.isoformat(), **board})
            progress = Progress(since=board["sequence"])
        else:
            progress = Progress(since=arguments.since)
        delay = 1.0
        while True:
            try:
                await follow(partner, variables, progress, arguments.events)
                return
            except ResyncRequired:
                board = await read_board(partner, variables)  # too far behind: read again
                emit("board", {"day": day.isoformat(), **board})
                progress.since = board["sequence"]
            except (TransportClosed, TransportError, OSError) as error:
                lost = f"connection lost ({error}); resuming after {progress.since}"
                print(lost, file=sys.stderr)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
    finally:
        await partner.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the AES CRM server")
    parser.add_argument("--practice", required=True, help="practice id (one of the app's)")
    parser.add_argument("--timezone", default="Europe/London", help="the practice's time zone")
    parser.add_argument("--day", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
    parser.add_argument("--since", type=int, help="resume after this sequence (skips the board)")
    parser.add_argument("--events", type=int, help="stop after this many events")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
