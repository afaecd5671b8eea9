"""What ``make run`` prints before serving: where GraphiQL is and a token per demo role."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from db.config import close_database, open_database
from graph.board_page import BOARD_PATH
from graph.graphiql import ready_link
from graph.settings import load_settings, service_config
from services import demo, runtime
from services.auth.sessions import dev_token


async def _welcome() -> str:
    settings = load_settings()
    runtime.configure(service_config(settings))
    await open_database(settings.database_url)
    try:
        users = await demo.demo_users()
        practices = await demo.demo_practices()
        base = f"http://{settings.host}:{settings.port}"
        graphiql = f"{base}/graphql"
        minutes = settings.access_token_minutes
        seen: set[str] = set()
        lines = [
            "",
            f"AES CRM: GraphiQL at {graphiql}",
            f"Live reception board at {base}{BOARD_PATH}",
            f"  (sign in as reception.harley@{demo.DEMO_DOMAIN}; the first sign-in enrols MFA)",
            f"Demo password for every account: {demo.DEMO_PASSWORD}",
            "",
            "Practices (use as practiceId):",
            *(f"  {p.id}  {p.name}" for p in practices),
            "",
            "Roles with clinical/admin scopes need MFA at login; to try the API at once, paste",
            'one of these into GraphiQL\'s headers as {"Authorization": "Bearer <token>"}.',
            f"They last {minutes} minutes; a fresh one any time: .venv/bin/aescrm dev-token EMAIL",
            "",
        ]
        tokens: dict[str, str] = {}
        for user in users:
            if user.role in seen:
                continue
            seen.add(user.role)
            tokens[user.email] = await dev_token(user.email)
            lines.append(f"  {user.role:<15} {user.email}")
            lines.append(f"    {tokens[user.email]}")
        if practices:
            first = practices[0]
            reception = next(
                (u for u in users if u.role == "RECEPTIONIST" and u.practice_id == first.id), None
            )
            token = tokens.get(reception.email) if reception else None
            day = await demo.next_busy_day(first.id, datetime.now(UTC).date())
            link = ready_link(graphiql, practice_id=first.id, day=day.isoformat(), token=token)
            lines += [
                "",
                f"The board of {first.name} on {day:%A %d %B}, ready to run:",
                f"  {link}",
            ]
        lines.append("")
        return "\n".join(lines)
    finally:
        await close_database()


def main() -> None:
    print(asyncio.run(_welcome()))


if __name__ == "__main__":
    main()
