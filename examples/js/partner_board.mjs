// A partner app following one practice's diary: the Node example of docs/partners.md.
//
// 1. Gets an access token with OAuth 2.0 client credentials (POST /oauth/token, HTTP Basic).
// 2. Reads one day's board over HTTP, which also gives the board's `sequence` watermark.
// 3. Subscribes to `scheduleChanged` with graphql-ws (graphql-transport-ws) with `since` set to
//    that watermark; after a dropped connection it subscribes again with `since` = the last
//    sequence it processed (no gap, no duplicate).
//
// Prints one JSON object per line: {"board": …}, {"subscribed": {"since": N}}, {"event": …}.
//
//   export AESCRM_CLIENT_ID=… AESCRM_CLIENT_SECRET=…   # from registerPartnerClient or the CLI
//   node partner_board.mjs --url http://127.0.0.1:8000 --practice <practice id>
//
// No build step: plain ES modules on Node 20+. Node 20 has no WebSocket of its own, so the
// `ws` package is passed to graphql-ws.
import { parseArgs } from "node:util";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const ROW = `
fragment Row on ScheduleAppointment {
  id startsAt endsAt status
  practitioner { displayName }
  room { name }
  appointmentType { name }
  patient { id }
}`;
const BOARD = `
query Board($practiceId: ID!, $from: DateTime!, $to: DateTime!) {
  schedule(practiceId: $practiceId, from: $from, to: $to) { sequence appointments { ...Row } }
} ${ROW}`;
const LIVE = `
subscription Live($practiceId: ID!, $from: DateTime, $to: DateTime, $since: Int) {
  scheduleChanged(practiceId: $practiceId, from: $from, to: $to, since: $since) {
    kind sequence previousSequence appointmentId
    appointment { ...Row }
  }
} ${ROW}`;

class ResyncRequired extends Error {}

const emit = (kind, value) => process.stdout.write(`${JSON.stringify({ [kind]: value })}\n`);

// Field errors beside data are expected: a patient who does not share data with this app is
// null with FORBIDDEN at its path (the booking still shows as busy time). Anything else fails.
function checkErrors(errors) {
  for (const error of errors || []) {
    const code = (error.extensions || {}).code;
    if (code === "RESYNC_REQUIRED") throw new ResyncRequired(error.message);
    const path = error.path || [];
    if (code !== "FORBIDDEN" || path[path.length - 1] !== "patient") {
      throw new Error(`${code}: ${error.message}`);
    }
  }
}

class Partner {
  constructor(url, clientId, clientSecret) {
    this.url = url.replace(/\/$/, "");
    this.basic = Buffer.from(`${clientId}:${clientSecret}`).toString("base64");
    this.token = null;
    this.expiresAt = 0;
  }

  async accessToken() {
    if (!this.token || this.expiresAt - Date.now() < 60_000) {
      const response = await fetch(`${this.url}/oauth/token`, {
        method: "POST",
        headers: {
          authorization: `Basic ${this.basic}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ grant_type: "client_credentials" }),
      });
      const body = await response.json();
      if (!response.ok) throw new Error(`token refused: ${body.error}`);
      this.token = body.access_token;
      this.expiresAt = Date.now() + body.expires_in * 1000;
    }
    return this.token;
  }

  async query(query, variables) {
    const response = await fetch(`${this.url}/graphql`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${await this.accessToken()}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    if (!body.data) throw new Error(JSON.stringify(body.errors));
    checkErrors(body.errors);
    return body.data;
  }
}

// The practice's local day as [from, to) instants (the practice's zone, whatever this machine's).
function daySpan(day, zone) {
  const offsetMs = (instant) => {
    const parts = {};
    const format = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    for (const part of format.formatToParts(instant)) parts[part.type] = Number(part.value);
    const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
    return wall - Math.floor(instant.getTime() / 1000) * 1000;
  };
  const midnight = (year, month, date) => {
    const guess = Date.UTC(year, month, date);
    const first = guess - offsetMs(new Date(guess));
    return new Date(guess - offsetMs(new Date(first)));
  };
  const [year, month, date] = day.split("-").map(Number);
  return { from: midnight(year, month - 1, date).toISOString(), to: midnight(year, month - 1, date + 1).toISOString() };
}

function today(zone) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(new Date()); // YYYY-MM-DD
}

// Events after progress.since until `events` have arrived (forever if null).
function follow(partner, variables, progress, events) {
  return new Promise((resolve, reject) => {
    const client = createClient({
      url: `${partner.url.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: async () => ({ authorization: `Bearer ${await partner.accessToken()}` }),
      retryAttempts: 0, // resubscribed by the caller, with `since` moved on
    });
    let done = false;
    const finish = (error) => {
      if (done) return;
      done = true;
      unsubscribe();
      client.dispose();
      if (error) reject(error);
      else resolve();
    };
    emit("subscribed", { since: progress.since });
    const unsubscribe = client.subscribe(
      { query: LIVE, variables: { ...variables, since: progress.since } },
      {
        next: (result) => {
          try {
            checkErrors(result.errors);
          } catch (error) {
            finish(error);
            return;
          }
          const event = result.data.scheduleChanged;
          if (event.sequence <= progress.since) return; // replayed at the seam: processed
          progress.since = event.sequence;
          emit("event", event);
          progress.seen += 1;
          if (events !== null && progress.seen >= events) finish(null);
        },
        error: (error) => {
          if (Array.isArray(error)) {
            try {
              checkErrors(error);
            } catch (failure) {
              finish(failure);
              return;
            }
          }
          finish(error instanceof Error ? error : new Error(`connection closed (${error.code})`));
        },
        complete: () => finish(null),
      },
    );
  });
}

async function main() {
  const { values } = parseArgs({
    options: {
      url: { type: "string", default: "http://127.0.0.1:8000" },
      practice: { type: "string" },
      timezone: { type: "string", default: "Europe/London" },
      day: { type: "string" },
      since: { type: "string" },
      events: { type: "string" },
    },
  });
  if (!values.practice) throw new Error("--practice is required");
  const partner = new Partner(values.url, process.env.AESCRM_CLIENT_ID, process.env.AESCRM_CLIENT_SECRET);
  const day = values.day || today(values.timezone);
  const span = daySpan(day, values.timezone);
  const variables = { practiceId: values.practice, from: span.from, to: span.to };
  const events = values.events === undefined ? null : Number(values.events);
  const readBoard = async () => {
    const { schedule } = await partner.query(BOARD, variables);
    emit("board", { day, ...schedule });
    return schedule.sequence;
  };
  const progress = { since: values.since === undefined ? await readBoard() : Number(values.since), seen: 0 };
  let delay = 1000;
  for (;;) {
    try {
      await follow(partner, variables, progress, events);
      return;
    } catch (error) {
      if (error instanceof ResyncRequired) {
        progress.since = await readBoard(); // too far behind to replay: read again
        continue;
      }
      if (!/connection closed|ECONNREFUSED|ECONNRESET|socket/i.test(String(error.message))) throw error;
      process.stderr.write(`connection lost (${error.message}); resuming after ${progress.since}\n`);
      await new Promise((wake) => setTimeout(wake, delay));
      delay = Math.min(delay * 2, 30_000);
    }
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
