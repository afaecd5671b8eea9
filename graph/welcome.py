"""What ``make run`` prints before serving: where GraphiQL is and a token per demo role."""

from __future__ import annotations

import asyncio

from db.config import close_database, open_database
from graph.settings import load_settings, service_config
from services import demo, runtime
from services.auth.sessions import dev_token


async def _welcome() -> str:
    settings = load_settings()
    runtime.configure(service_config(settings))
    await open_database(settings.database_url)
    try:
        users = await demo.demo_users()
        seen: set[str] = set()
        lines = [
            "",
            f"AES CRM: GraphiQL at http://{settings.host}:{settings.port}/graphql",
            f"Demo password for every account: {demo.DEMO_PASSWORD}",
            "Roles with clinical/admin scopes need MFA at login; to try the API at once, paste",
            'one of these into GraphiQL\'s headers as {"Authorization": "Bearer <token>"}:',
            "",
        ]
        for user in users:
            if user.role in seen:
                continue
            seen.add(user.role)
            lines.append(f"  {user.role:<15} {user.email}")
            lines.append(f"    {await dev_token(user.email)}")
        lines.append("")
        lines.append("New token any time: .venv/bin/aescrm dev-token EMAIL")
        return "\n".join(lines)
    finally:
        await close_database()


def main() -> None:
    print(asyncio.run(_welcome()))


if __name__ == "__main__":
    main()
