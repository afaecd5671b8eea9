// The live reception board (development only): sign in, read today's diary, follow it live.
// Plain browser JavaScript, no build step; graphql-ws's browser build defines `graphqlWs`.
"use strict";

(() => {
  const GRAPHQL = "/graphql";
  const ROW = `
    fragment Row on ScheduleAppointment {
      id startsAt endsAt status needsCall
      patient { firstName lastName preferredName hasMedicalAlert }
      practitioner { displayName }
      room { name }
      appointmentType { name colour }
    }`;
  const SESSION = "accessToken refreshToken expiresAt mfaEnrolmentRequired";
  const LOGIN = `mutation Login($input: LoginInput!) { login(input: $input) { session { ${SESSION} } } }`;
  const REFRESH = `mutation Refresh($input: RefreshSessionInput!) {
    refreshSession(input: $input) { session { ${SESSION} } } }`;
  const BEGIN_MFA = "mutation BeginMfa { beginMfaEnrolment { otpauthUri } }";
  const CONFIRM_MFA = `mutation ConfirmMfa($input: ConfirmMfaEnrolmentInput!) {
    confirmMfaEnrolment(input: $input) { recoveryCodes session { ${SESSION} } } }`;
  const LOGOUT = "mutation Logout { logout(input: { everywhere: false }) { ok } }";
  const WHO = "query Who { me { fullName } practices { id name timezone } }";
  const BOARD = `query Board($practiceId: ID!, $from: DateTime!, $to: DateTime!) {
    schedule(practiceId: $practiceId, from: $from, to: $to) { sequence appointments { ...Row } }
  } ${ROW}`;
  const LIVE = `subscription Live($practiceId: ID!, $from: DateTime, $to: DateTime, $since: Int) {
    scheduleChanged(practiceId: $practiceId, from: $from, to: $to, since: $since) {
      kind sequence appointmentId appointment { ...Row } notice { message }
    }
  } ${ROW}`;
  const STATUS = {
    BOOKED: "Booked", CONFIRMED: "Confirmed", ARRIVED: "Arrived", IN_SURGERY: "In surgery",
    COMPLETED: "Completed", CANCELLED: "Cancelled", DID_NOT_ATTEND: "Did not attend",
  };

  const $ = (id) => document.getElementById(id);
  const state = {
    session: null, // { accessToken, refreshToken, expiresAt, mfaEnrolmentRequired }
    practices: [],
    practice: null, // { id, name, timezone }
    day: null, // { from, to } as ISO instants: the practice's local today
    appointments: new Map(), // id -> appointment as the board shows it
    fresh: new Set(), // ids changed live since the last render (highlighted once)
    sequence: 0, // last event sequence applied: `since` when (re)subscribing
    live: null, // { client, dispose }
    retry: null, // timer of the next resubscription
    retries: 0,
    refresh: null, // timer of the next session refresh
  };

  class ApiError extends Error {
    constructor(message, code) {
      super(message);
      this.code = code;
    }
  }

  // One GraphQL request. Field errors beside data (a patient the caller may not see) are
  // expected on a board: only a request without data is a failure.
  async function graphql(query, variables = {}) {
    const headers = { "content-type": "application/json", accept: "application/json" };
    if (state.session) headers.authorization = `Bearer ${state.session.accessToken}`;
    const response = await fetch(GRAPHQL, {
      method: "POST", headers, body: JSON.stringify({ query, variables }),
    });
    const body = await response.json().catch(() => ({}));
    if (!body.data) {
      const error = (body.errors || [])[0] || { message: `The server answered ${response.status}.` };
      throw new ApiError(error.message, (error.extensions || {}).code);
    }
    return body.data;
  }

  function show(id, visible) {
    $(id).hidden = !visible;
  }

  function say(text) {
    $("message").textContent = text || "";
    show("message", Boolean(text));
  }

  function only(view) {
    for (const id of ["login", "enrol", "recovery", "board"]) show(id, id === view);
  }

  // ---- signing in -------------------------------------------------------------------------

  async function onLogin(event) {
    event.preventDefault();
    say("");
    const input = { email: $("email").value.trim(), password: $("password").value };
    const otp = $("otp").value.trim();
    if (!$("otp-field").hidden && otp) input.otp = otp;
    try {
      const data = await graphql(LOGIN, { input });
      await signedIn(data.login.session);
    } catch (error) {
      if (error.code === "MFA_REQUIRED") {
        show("otp-field", true);
        $("otp").focus();
        say(otp ? "That code was not accepted. Try the current one." : "Enter the code from your authenticator app.");
      } else if (error.code === "ACCOUNT_LOCKED") {
        say("Too many failed attempts: this account is locked for a while.");
      } else {
        say(error.message);
      }
    }
  }

  async function signedIn(session) {
    state.session = session;
    $("password").value = "";
    $("otp").value = "";
    if (session.mfaEnrolmentRequired) {
      const data = await graphql(BEGIN_MFA);
      const uri = data.beginMfaEnrolment.otpauthUri;
      $("enrol-secret").textContent = new URL(uri).searchParams.get("secret") || "";
      $("enrol-uri").href = uri;
      only("enrol");
      $("enrol-code").focus();
      return;
    }
    scheduleRefresh();
    await openBoard();
  }

  async function onEnrol(event) {
    event.preventDefault();
    say("");
    try {
      const data = await graphql(CONFIRM_MFA, { input: { code: $("enrol-code").value.trim() } });
      state.session = data.confirmMfaEnrolment.session;
      const list = $("recovery-codes");
      list.replaceChildren(
        ...data.confirmMfaEnrolment.recoveryCodes.map((code) => {
          const item = document.createElement("li");
          const text = document.createElement("code");
          text.textContent = code;
          item.append(text);
          return item;
        }),
      );
      $("enrol-code").value = "";
      only("recovery");
      $("recovery-done").focus();
    } catch (error) {
      say(error.message);
    }
  }

  function scheduleRefresh() {
    clearTimeout(state.refresh);
    const due = new Date(state.session.expiresAt).getTime() - Date.now() - 60_000;
    state.refresh = setTimeout(refreshSession, Math.max(due, 5_000));
  }

  async function refreshSession() {
    try {
      const data = await graphql(REFRESH, { input: { refreshToken: state.session.refreshToken } });
      state.session = data.refreshSession.session;
      scheduleRefresh();
      return true;
    } catch (error) {
      signOut("Your session ended: sign in again.");
      return false;
    }
  }

  async function onSignOut() {
    stopLive(); // before the logout closes the socket: that is no failure to recover from
    try {
      await graphql(LOGOUT);
    } catch (error) {
      // Signed out locally either way; the access token expires on its own.
    }
    signOut("");
  }

  function signOut(message) {
    stopLive();
    clearTimeout(state.refresh);
    state.session = null;
    state.appointments.clear();
    show("who", false);
    show("sign-out", false);
    show("otp-field", false);
    only("login");
    say(message);
    $("email").focus();
  }

  // ---- the board --------------------------------------------------------------------------

  async function openBoard() {
    const data = await graphql(WHO);
    state.practices = data.practices || [];
    $("who").textContent = `Signed in as ${data.me.fullName}`;
    show("who", true);
    show("sign-out", true);
    if (!state.practices.length) {
      say("This account has no practice whose diary it may read.");
      return;
    }
    const select = $("practice");
    select.replaceChildren(
      ...state.practices.map((p) => new Option(p.name, p.id)),
    );
    only("board");
    await choosePractice(state.practices[0].id);
  }

  async function choosePractice(id) {
    state.practice = state.practices.find((p) => p.id === id);
    $("practice").value = id;
    await loadBoard();
  }

  // Today in the practice's own time zone, whatever the browser's.
  function zoneOffsetMs(zone, instant) {
    const parts = {};
    const format = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    for (const part of format.formatToParts(instant)) parts[part.type] = Number(part.value);
    const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
    return wall - Math.floor(instant.getTime() / 1000) * 1000;
  }

  function localMidnight(zone, year, month, day) {
    const guess = Date.UTC(year, month, day);
    const first = guess - zoneOffsetMs(zone, new Date(guess));
    return new Date(guess - zoneOffsetMs(zone, new Date(first)));
  }

  function today(zone) {
    const parts = {};
    const format = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
    });
    for (const part of format.formatToParts(new Date())) parts[part.type] = Number(part.value);
    const from = localMidnight(zone, parts.year, parts.month - 1, parts.day);
    const to = localMidnight(zone, parts.year, parts.month - 1, parts.day + 1);
    const title = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, weekday: "long", day: "numeric", month: "long",
    }).format(from);
    return { from: from.toISOString(), to: to.toISOString(), title };
  }

  async function loadBoard() {
    stopLive();
    state.day = today(state.practice.timezone);
    $("board-title").textContent = `Today, ${state.day.title} — ${state.practice.name}`;
    const data = await graphql(BOARD, {
      practiceId: state.practice.id, from: state.day.from, to: state.day.to,
    });
    state.appointments.clear();
    state.fresh.clear();
    for (const appointment of data.schedule.appointments) {
      state.appointments.set(appointment.id, appointment);
    }
    state.sequence = data.schedule.sequence; // the watermark: subscribe from here
    render();
    startLive();
  }

  function onToday(appointment) {
    return appointment.startsAt < state.day.to && appointment.endsAt > state.day.from;
  }

  function patientName(patient) {
    if (!patient) return "Busy (patient not shown)";
    const first = patient.preferredName || patient.firstName;
    return `${first} ${patient.lastName}`;
  }

  function render() {
    const time = new Intl.DateTimeFormat("en-GB", {
      timeZone: state.practice.timezone, hour: "2-digit", minute: "2-digit",
    });
    const sorted = [...state.appointments.values()].sort(
      (a, b) => a.startsAt.localeCompare(b.startsAt) || a.id.localeCompare(b.id),
    );
    const rows = sorted.map((a) => {
      const row = document.createElement("tr");
      row.dataset.appointmentId = a.id;
      row.dataset.status = a.status;
      if (a.status === "CANCELLED") row.classList.add("cancelled");
      if (state.fresh.has(a.id)) row.classList.add("fresh");
      const cells = [
        [`${time.format(new Date(a.startsAt))}–${time.format(new Date(a.endsAt))}`, "time"],
        [patientName(a.patient), "patient"],
        [a.practitioner.displayName, "practitioner"],
        [a.room.name, "room"],
        [a.appointmentType.name, "type"],
        [STATUS[a.status] || a.status, "status"],
      ];
      for (const [text, name] of cells) {
        const cell = document.createElement("td");
        cell.className = name;
        cell.textContent = text;
        row.append(cell);
      }
      const typeCell = row.querySelector("td.type");
      typeCell.style.setProperty("--type-colour", a.appointmentType.colour);
      if (a.patient && a.patient.hasMedicalAlert) {
        const flag = document.createElement("span");
        flag.className = "alert-flag";
        flag.textContent = " (medical alert)";
        row.querySelector("td.patient").append(flag);
      }
      if (a.needsCall) row.querySelector("td.status").append(" · call the patient");
      return row;
    });
    $("rows").replaceChildren(...rows);
    show("empty", rows.length === 0);
    state.fresh.clear();
  }

  // ---- live updates -----------------------------------------------------------------------

  function setLive(up, text) {
    const live = $("live");
    live.textContent = text;
    live.className = up ? "up" : "down";
  }

  function startLive() {
    stopLive();
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const client = graphqlWs.createClient({
      url: `${scheme}//${location.host}${GRAPHQL}`,
      // Read at every (re)connect, so a refreshed session is what the socket presents.
      connectionParams: () => ({ authorization: `Bearer ${state.session.accessToken}` }),
      retryAttempts: 0, // resubscribed by hand below, with `since` moved on to what we applied
      on: { connected: () => { state.retries = 0; setLive(true, "Live"); } },
    });
    const dispose = client.subscribe(
      {
        query: LIVE,
        variables: {
          practiceId: state.practice.id, from: state.day.from, to: state.day.to,
          since: state.sequence,
        },
      },
      {
        next: (message) => {
          if (message.data && message.data.scheduleChanged) apply(message.data.scheduleChanged);
        },
        error: (error) => liveFailed(error),
        complete: () => liveFailed(null),
      },
    );
    state.live = { client, dispose };
  }

  function stopLive() {
    clearTimeout(state.retry);
    if (state.live) {
      const { client, dispose } = state.live;
      state.live = null;
      dispose();
      client.dispose();
    }
  }

  async function liveFailed(error) {
    if (!state.live || !state.session) return; // we stopped it ourselves
    stopLive();
    const codes = Array.isArray(error) ? error.map((e) => (e.extensions || {}).code) : [];
    if (codes.includes("RESYNC_REQUIRED")) {
      await loadBoard(); // too far behind to replay: read the board again
      return;
    }
    setLive(false, "Reconnecting…");
    const delay = Math.min(15_000, 1_000 * 2 ** state.retries++);
    state.retry = setTimeout(async () => {
      if (!state.session) return; // signed out meanwhile
      const expired = new Date(state.session.expiresAt).getTime() - Date.now() < 30_000;
      if ((error && error.code === 4403) || expired) {
        if (!(await refreshSession())) return;
      }
      if (state.session) startLive();
    }, delay);
  }

  function apply(event) {
    if (event.sequence <= state.sequence) return; // replayed at a seam: already applied
    state.sequence = event.sequence;
    if (event.kind === "NOTICE" && event.notice) {
      $("notice").textContent = event.notice.message;
      show("notice", true);
      return;
    }
    if (event.kind === "SETUP_CHANGED") {
      loadBoard(); // rooms, practitioners or hours changed: read the whole day again
      return;
    }
    const appointment = event.appointment;
    if (!appointment) return;
    if (onToday(appointment)) {
      state.appointments.set(appointment.id, appointment);
      state.fresh.add(appointment.id);
    } else {
      state.appointments.delete(appointment.id); // moved to another day
    }
    render();
  }

  // ---- wiring -----------------------------------------------------------------------------

  function guard(handler) {
    return (event) => handler(event).catch((error) => say(error.message));
  }

  $("login").addEventListener("submit", guard(onLogin));
  $("enrol").addEventListener("submit", guard(onEnrol));
  $("recovery-done").addEventListener("click", guard(async () => {
    scheduleRefresh();
    await openBoard();
  }));
  $("sign-out").addEventListener("click", guard(onSignOut));
  $("practice").addEventListener("change", guard((event) => choosePractice(event.target.value)));
  only("login");
})();
