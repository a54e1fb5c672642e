// The live session page: connection, sign-in, state, and rendering of the three views.
import { socket, request } from "./socket.js";
import { Countdown, clock, sound } from "./timer.js";
import { getLang, onLangChange, pick, setupLanguageSwitch, t } from "./i18n.js";
import { $, h, keyed, storage, swap, uuid } from "./dom.js";
import * as R from "./render.js";
import * as B from "./breakouts.js";
import { composeModel, earlyPitchStep, filingIndex, renderCompose } from "./compose.js";

const app = $("#app");
const view = app.dataset.view; // participant | facilitator | screen
const code = app.dataset.code;
const local = storage();
const tab = storage("session");
const key = (name) => `intervisie:${code}:${name}`;

function readList(name) {
  try {
    const list = JSON.parse(local.get(key(name)) || "[]");
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

const store = {
  state: null, // the session as everyone sees it (session:state)
  me: null,
  contributions: new Map(),
  outbox: readList("outbox"), // written, not yet acknowledged
  returned: readList("returned"), // refused, back with the author until used or discarded
  joined: false,
  ended: null, // why this page stopped: "removed" | "deleted" | "moved" | null
};
let facilitatorUi = null; // the facilitator module, loaded when needed
let cardsUi = null; // the question cards (cards.js), loaded only in a session with a deck
let screenUi = null;
let claimKey = null;
let lastStep = null;

const regions = {
  gate: $("#gate"),
  stage: $("#stage"),
  banner: $("#banner"),
  toast: $("#toast"),
  announcer: $("#announcer"),
  title: $("#session-title"),
};
for (const el of document.querySelectorAll("[data-region]")) regions[el.dataset.region] = el;

const countdown = new Countdown($("#timer"), announce);
// The local deadline passed: the time-is-up note now, not when the server says so.
countdown.onUp = () => view !== "screen" && store.state && swap(regions.notice, notice(store.state, store.me));

// --- keys from the address bar

function readFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const origin = `${location.origin}/s/${code}`;
  if (view === "screen" && params.get("key")) {
    tab.set(key("screen_key"), params.get("key"));
    history.replaceState(null, "", location.pathname + location.search); // keep the key off the projector
  }
  if (view === "facilitator" && params.get("key")) {
    claimKey = params.get("key");
    // The link handed out carries the screen key too, for a new device to show.
    const screen = params.get("screen");
    local.set(key("facilitator_url"), `${origin}/facilitator#key=${claimKey}${screen ? `&screen=${screen}` : ""}`);
    if (screen) local.set(key("screen_url"), `${origin}/screen#key=${screen}`);
  }
}

// --- small UI helpers

function announce(text) {
  // Clear first so the same words are read again.
  regions.announcer.textContent = "";
  setTimeout(() => (regions.announcer.textContent = text), 50);
}

let toastTimer = null;
function toast(text) {
  regions.toast.textContent = text;
  regions.toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (regions.toast.hidden = true), 7000);
}

const dialog = $("#confirm");
function confirmDialog(text, okLabel) {
  return new Promise((resolve) => {
    $("#confirm-text").textContent = text;
    $("#confirm-ok").textContent = okLabel;
    dialog.returnValue = "";
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

// The server's reading of a text still being written (question coach, privacy guard): nudge.js shows it.
const checkWriting = (text, kind) => request("writing:check", { text, kind });

async function send(event, payload = {}) {
  const ack = await request(event, payload);
  if (!ack.ok) toast(ack.message || t("ui.conn.offline"));
  else if (ack.state) applyState(ack.state);
  return ack;
}

// A facilitator control or card draw, one at a time. `at`: the `control` acted on (`stale` if changed).
let inFlight = 0;
const busy = () => inFlight > 0;

async function control(event, payload = {}, at = null) {
  if (busy()) return { ok: false, error: "in_flight" }; // the first click is still on its way
  inFlight += 1;
  render();
  try {
    const ack = await request(event, at == null ? payload : { ...payload, control: at });
    if (ack.ok) {
      if (ack.state) applyState(ack.state);
    } else if (ack.error === "stale") {
      // Someone (or another tab) changed the session first: show it now, then say so.
      if (ack.state) applyState(ack.state);
      else if (!store.state || store.state.control === at) enter(); // our view is behind: fetch it
      toast(ack.message);
    } else if (!ack.error?.startsWith("confirm_")) {
      toast(ack.message || t("ui.conn.offline")); // a confirm_ answer is asked by the caller instead
    }
    return ack;
  } finally {
    inFlight -= 1;
    render();
  }
}

function setBanner(text) {
  regions.banner.textContent = text || "";
  regions.banner.hidden = !text;
}

// --- state

function applySnapshot(snapshot) {
  const { contributions, me, method, deck, hand, signal, my_vote: myVote, ...state } = snapshot;
  store.contributions = new Map(contributions.map((c) => [c.id, c]));
  for (const c of contributions) settled(c.client_id); // stored before the answer got lost
  store.me = me;
  // What rarely changes comes only in snapshots.
  Object.assign(store, { method, deck, hand, signal, myVote, signalSeen: false });
  store.state = null;
  applyState(state);
}

function applyState(pushed) {
  if (store.state && pushed.version < store.state.version) return; // overtaken by a newer one
  const state = { ...pushed, method: store.method };
  clock.bound(state.server_now_ms);
  const previous = store.state;
  store.state = state;
  app.dataset.control = state.control ?? ""; // which state the controls act on (tests read it too)
  if (store.me) {
    const mine = state.participants.find((p) => p.id === store.me.id);
    if (mine) store.me = { ...store.me, role: mine.role, name: mine.name };
  }
  const stepKey = `${state.session.status}:${state.session.step_index}`;
  if (previous && lastStep !== stepKey && state.session.status === "running") {
    announce(t("ui.step.announce", { name: pick(R.currentStep(state).names) }));
  }
  if (previous && previous.session.status !== "ended" && state.session.status === "ended") announce(t("ui.ended.title"));
  // Said once to the facilitator when the last person is done.
  if (facilitatorUi && store.me?.role === "facilitator" && facilitatorUi.allReady(state) && !(previous && lastStep === stepKey && facilitatorUi.allReady(previous))) {
    announce(t("ui.fac.all_ready"));
  }
  lastStep = stepKey;
  render();
}

function upsert(c, { fromPush = false } = {}) {
  const known = store.contributions.has(c.id);
  settled(c.client_id); // its push or ack, whichever comes first: the pending copy goes
  store.contributions.set(c.id, { ...store.contributions.get(c.id), ...c });
  if (fromPush && !known && store.state && c.author_id !== store.me?.id && c.step_index === store.state.session.step_index) {
    const text = c.text.length > 140 ? `${c.text.slice(0, 140)}…` : c.text;
    announce(t("ui.feed.announce", { kind: t(`ui.kind.${c.kind}`), name: c.author_name, text }));
  }
  render();
}

// --- signing in

async function enter() {
  store.joined = false;
  const token = local.get(key("token"));
  let ack;
  if (view === "screen") {
    const screenKey = tab.get(key("screen_key"));
    if (!screenKey) return showGate("nokey_screen");
    ack = await request("session:watch", { code, key: screenKey, lang: getLang() });
  } else if (claimKey) {
    ack = await request("session:claim", { code, key: claimKey, lang: getLang() });
    if (ack.ok) {
      local.set(key("token"), ack.token);
      claimKey = null;
      history.replaceState(null, "", location.pathname + location.search);
    }
  } else if (token) {
    ack = await request("session:resume", { token, code, lang: getLang() });
    if (!ack.ok && ["bad_token", "removed"].includes(ack.error)) {
      forget();
      if (ack.error === "removed") return showRemoved();
      return showGate(view === "facilitator" ? "nokey" : "join", ack.message);
    }
  } else {
    return showGate(view === "facilitator" ? "nokey" : "join");
  }
  if (!ack.ok) {
    if (ack.error === "offline") return; // the next connect tries again
    if (claimKey && ack.error === "bad_key") local.set(key("facilitator_url"), null);
    claimKey = null;
    return showGate(view === "screen" ? "nokey_screen" : "message", ack.message);
  }
  joined(ack.snapshot);
}

function joined(snapshot) {
  store.joined = true;
  setBanner(null);
  applySnapshot(snapshot);
  flushOutbox();
}

function forget() {
  local.set(key("token"), null);
  store.outbox = [];
  store.returned = [];
  saveOutbox();
}

// Which session this is (title, facilitator, method): on the join form, then in the header.
const about = JSON.parse($("#about")?.textContent || "null");

function aboutList(info) {
  const row = (label, value) => [h("dt", { text: t(label) }), h("dd", { text: value })];
  return h("dl", { class: "join-about" }, ...(info.title ? row("ui.about.session", info.title) : []), ...row("ui.about.facilitator", info.facilitator), ...row("ui.about.method", pick(info.method)));
}

function headerTitle(state) {
  const fac = state.participants.find((p) => p.role === "facilitator");
  const method = pick(state.method.names);
  const title = state.session.title || method;
  swap(regions.title, h("b", { text: title }), h("span", { class: "session-meta", text: fac ? t("ui.about.header", { method, name: fac.name }) : method }));
  return title;
}

// The join form, or a message when this page cannot get in by itself.
let gate = null;
function showGate(kind, message) {
  gate = { kind, message };
  regions.stage.hidden = true;
  regions.gate.hidden = false;
  const nodes = [];
  if (kind === "join") {
    const status = h("p", { class: "form-status", role: "alert", text: message || "" });
    const input = h("input", { id: "join-name", name: "name", type: "text", maxlength: 40, autocomplete: "given-name", required: true, "data-key": "join-name" });
    // The group's confidentiality agreement, confirmed before anything of the session is shown.
    const agree = about?.confidentiality ? h("input", { id: "join-agree", type: "checkbox", required: true, "data-key": "join-agree" }) : null;
    const form = h(
      "form",
      { class: "card join-card", novalidate: true },
      h("h1", { text: t("ui.join.title") }),
      h("p", { class: "lead", text: t("ui.join.lead", { code }) }),
      about ? aboutList(about) : null,
      h("div", { class: "field" }, h("label", { for: "join-name", text: t("ui.join.name") }), h("p", { class: "hint", text: t("ui.join.name_hint") }), input),
      agree
        ? h("fieldset", { class: "agreement" },
            h("legend", { text: t("ui.agreement.title") }),
            h("ul", {}, ...["stays", "no_names", "no_recording"].map((rule) => h("li", { text: t(`ui.agreement.${rule}`) }))),
            h("div", { class: "check" }, agree, h("label", { for: "join-agree", text: t("ui.agreement.agree") })))
        : null,
      h("button", { type: "submit", class: "button primary wide", text: t("ui.join.go") }),
      status,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = input.value.trim();
      if (!name) {
        status.textContent = t("ui.join.name_missing");
        input.focus();
        return;
      }
      if (agree && !agree.checked) {
        status.textContent = t("ui.agreement.missing");
        agree.focus();
        return;
      }
      const ack = await request("session:join", { code, name, lang: getLang(), ...(agree ? { agree: true } : {}) });
      if (!ack.ok) {
        status.textContent = ack.message;
        input.focus();
        return;
      }
      local.set(key("token"), ack.token);
      joined(ack.snapshot);
      $("#step-name")?.focus();
    });
    nodes.push(form);
  } else {
    const title = { nokey: "ui.gate.nokey_title", nokey_screen: "ui.gate.screen_title", removed: "ui.removed.title", revoked: "ui.revoked.title", deleted: "ui.record.deleted.title" }[kind] || "ui.gate.title";
    const body = message || t({ nokey: "ui.gate.nokey", nokey_screen: "ui.gate.screen", removed: "ui.removed.body", revoked: "ui.revoked.body", deleted: "ui.record.deleted.body" }[kind] || "ui.gate.title");
    nodes.push(
      h(
        "section",
        { class: "card gate-card" },
        h("h1", { text: t(title) }),
        h("p", { text: body }),
        kind === "nokey" || kind === "removed" ? h("p", {}, h("a", { href: `/s/${code}`, text: t("ui.gate.as_participant") })) : null,
        h("p", {}, h("a", { href: "/", text: t("ui.gate.home") })),
      ),
    );
  }
  swap(regions.gate, nodes);
}

function showRemoved() {
  store.ended = "removed";
  showGate("removed");
}

// --- contributions and the outbox

function saveOutbox() {
  local.set(key("outbox"), store.outbox.length ? JSON.stringify(store.outbox) : null);
  local.set(key("returned"), store.returned.length ? JSON.stringify(store.returned) : null);
}

// Written: into the outbox, shown at once; focus goes to the sent note. reply_to: the question answered.
function addContribution(kind, text, details, status, replyTo = null) {
  const item = { client_id: uuid(), kind, text, details, step_index: filingIndex(store.state, kind) };
  if (replyTo) item.reply_to = replyTo;
  store.outbox.push(item);
  saveOutbox();
  if (status) status.textContent = "";
  render();
  ($(`[data-id="${item.client_id}"]`) || $("#feed-title"))?.focus();
  flushOutbox();
}

// Take an item out of the outbox once the server has it; true when it was still there.
function settled(clientId) {
  const at = clientId ? store.outbox.findIndex((o) => o.client_id === clientId) : -1;
  if (at < 0) return false;
  store.outbox.splice(at, 1);
  saveOutbox();
  return true;
}

const RETRY = ["offline", "busy", "rate_limited"]; // answers that mean "not now", not "no"
let flushing = false;
let retryTimer = null;
let retryDelay = 0;

// Send what waits, oldest first; a retry has the same client_id (stored once).
async function flushOutbox() {
  if (flushing) return;
  flushing = true;
  clearTimeout(retryTimer);
  retryTimer = null;
  try {
    while (store.outbox.length && store.joined) {
      const item = store.outbox[0];
      const payload = { client_id: item.client_id, kind: item.kind, text: item.text, step_index: item.step_index };
      if (item.details) payload.details = item.details;
      if (item.reply_to) payload.reply_to = item.reply_to;
      const ack = await request("contribution:add", payload);
      if (!ack.ok && RETRY.includes(ack.error)) {
        // No answer, or "wait": retry later and later; else the next connect sends it.
        if (socket.connected) retryLater();
        break;
      }
      retryDelay = 0;
      if (ack.ok) {
        settled(item.client_id);
        upsert(ack.contribution);
        if (ack.contribution.flag) formStatus(item.kind, t(`ui.nudge.${ack.contribution.flag}`));
      } else if (settled(item.client_id)) {
        refused(item, ack);
      }
    }
  } finally {
    flushing = false;
    render();
  }
}

function retryLater() {
  retryDelay = Math.min(retryDelay ? retryDelay * 2 : 1000, 30000);
  clearTimeout(retryTimer);
  retryTimer = setTimeout(flushOutbox, retryDelay * (0.8 + Math.random() * 0.4));
}

function formStatus(kind, text) {
  const el = regions.compose.querySelector(`[data-status="${kind}"]`);
  if (el) el.textContent = text;
  return el;
}

// Refused: back to its author, in its empty field, or else beside the fields with why.
function refused(item, ack) {
  const field = regions.compose.querySelector(`#f-${item.kind}-text`);
  const sameStep = store.state && item.step_index === store.state.session.step_index;
  if (ack.error !== "step_moved" && sameStep && field && !field.value && !field.closest("fieldset").disabled) {
    field.value = item.text;
    for (const [name, value] of Object.entries(item.details || {})) {
      const part = regions.compose.querySelector(`#f-${item.kind}-${name}`);
      if (part && !part.value) part.value = value;
    }
    formStatus(item.kind, ack.message);
    return;
  }
  store.returned.push({
    client_id: item.client_id,
    kind: item.kind,
    text: item.text,
    details: item.details || null,
    step_index: item.step_index,
    error: ack.error,
    message: ack.message || "",
  });
  saveOutbox();
  announce(t("ui.returned.announce"));
  render();
}

const returnedActions = {
  edit(id, text) {
    const item = store.returned.find((r) => r.client_id === id);
    if (item) item.text = text;
    saveOutbox();
  },
  discard(id) {
    store.returned = store.returned.filter((r) => r.client_id !== id);
    saveOutbox();
    render();
  },
};

function onMark(c, value, on) {
  send("contribution:mark", { id: c.id, value, on }).then((ack) => ack.ok && upsert(ack.contribution));
}

// A vote in the case round (one each; a new one moves it), or the facilitator's choice of a pitch.
function onVote(c) {
  send("case:vote", { id: c.id }).then((ack) => {
    if (ack.ok) store.myVote = ack.my_vote;
    render();
  });
}

function onMoveOn(group) {
  send("breakout:next", { group: group.id, round: group.round, phase: group.phase });
}

function onChoose(c) {
  send("case:choose", { id: c.id });
}

function onHide(c, hidden) {
  send("contribution:hide", { id: c.id, hidden }).then((ack) => ack.ok && upsert(ack.contribution));
}

// --- rendering

function contributionsList() {
  return [...store.contributions.values()];
}

function pendingItems(stepIndex) {
  const stored = new Set([...store.contributions.values()].map((c) => c.client_id));
  return store.outbox
    .filter((o) => o.step_index === stepIndex && !stored.has(o.client_id))
    .map((o) => ({ ...o, author_id: store.me?.id, author_name: store.me?.name, pending: true, offline: !store.joined }));
}

async function render() {
  const state = store.state;
  if (!state || store.ended) return;
  if (!regions.gate.hidden) swap(regions.gate);
  regions.gate.hidden = true;
  regions.stage.hidden = false;
  const title = headerTitle(state);
  document.title = `${title} · ${t("ui.app.name")}`;
  if (store.deck && !cardsUi) {
    cardsUi = await import("./cards.js");
    if (store.state !== state) return;
  }
  if (view === "screen") return renderScreenView(state);
  const me = store.me;
  const status = state.session.status;
  const isFacilitator = me?.role === "facilitator";
  // A new facilitator moves to their page (this one lacks their texts).
  if (isFacilitator && view === "participant") {
    store.ended = "moved"; // render nothing more here: the page is being replaced
    location.replace(`/s/${code}/facilitator`);
    return;
  }
  if (isFacilitator && !facilitatorUi) facilitatorUi = await import("./facilitator.js");
  if (store.state !== state) return; // a newer state arrived while loading
  app.dataset.status = status;
  app.dataset.role = me?.role || "";
  const all = contributionsList();
  const index = state.session.step_index;
  const onSpotlight = isFacilitator ? (c, on) => send("screen:show", { spotlight: on ? c.id : null }) : null;
  const onAnswer = (question, text) => addContribution("answer", text, null, null, question.id);
  const answers = R.threads([...all, ...pendingItems(index)]);
  const ctx = { state, me, onMark, onVote, myVote: store.myVote, onChoose: isFacilitator ? onChoose : null, onHide: isFacilitator ? onHide : null, onSpotlight, quadrant: cardsUi && ((c) => cardsUi.quadrantTag(store.deck, c)), answers, onAnswer, refresh: render };

  // Step card: what happens now, and the timer.
  regions.timerWrap.hidden = status !== "running";
  if (status === "running") {
    swap(regions.stepHead, R.stepHead(state, me));
    countdown.update(state.timer, `${index}:${state.turn ? state.turn.index : ""}`);
  } else {
    countdown.update(null);
    swap(regions.stepHead, lobbyOrEndHead(state, me));
  }
  swap(regions.quick, isFacilitator ? facilitatorUi.quickBar(fctx(state, me, all)) : null);
  swap(regions.notice, notice(state, me));
  // Breakout groups: this person's group (the facilitator: every group, with its writing).
  const groupPanel = B.panel({ state, me, contributions: all, feedCtx: ctx, onMoveOn });
  swap(regions.breakouts, groupPanel);
  regions.breakouts.hidden = !groupPanel;

  const running = status === "running";
  regions.guide.hidden = !running;
  if (running) swap(regions.guide, R.guide(state, me));

  // This visit of the step only: caps count anew when the group comes back to it (docs/methods.md).
  const after = state.session.caps_count_after_ms ?? -Infinity;
  const filing = earlyPitchStep(state) ?? index; // before the start: where prepared pitches go
  const mine = [...all, ...pendingItems(filing)].filter((c) => c.step_index === filing && c.author_id === me?.id && (c.pending || c.created_at_ms > after));
  const model = cardsUi ? cardsUi.composeModel(composeModel(state, me, mine), state, me) : composeModel(state, me, mine);
  const returned = { items: store.returned, state, ...returnedActions };
  const returnedSig = store.returned.map((r) => [r.client_id, r.message]);
  renderCompose(regions.compose, model, addContribution, JSON.stringify([model, getLang(), store.joined, returnedSig]), returned, checkWriting);

  regions.feedWrap.hidden = !running || (isFacilitator && B.breakoutsRule(state) !== null); // per group above
  if (running) {
    const items = [...all.filter((c) => c.step_index === index).sort(R.byTime), ...pendingItems(index)];
    const empty = B.breakoutsRule(state) ? "ui.breakouts.feed_empty" : state.sealed != null ? "ui.feed.empty_sealed" : "ui.feed.empty";
    keyed(regions.feed, R.feed(items, ctx, empty));
  }
  casePin(running ? all.filter((c) => c.kind === "case" && c.step_index < index).sort(R.byTime) : [], ctx);
  R.renderHistory(regions.history, state, all, ctx, { all: status === "ended" });
  swap(regions.mePanel, mePanel(state, me));
  swap(regions.control, isFacilitator ? facilitatorUi.controlPanel(fctx(state, me, all)) : null);
  cardsUi?.render(regions, cardsCtx(state, me));
  regions.peoplePanel.hidden = isFacilitator;
  if (!isFacilitator) {
    swap(
      regions.peoplePanel,
      h("details", { class: "card people-card", open: true },
        h("summary", { "data-key": "people" }, h("span", { text: t("ui.people.title", { n: state.participants.length }) })),
        R.peopleList(state, me)),
    );
  }
  swap(regions.houseRules, R.houseRules(state, status !== "running"));
  renderRecord(state, me);
}

// The case on top in later steps, rebuilt only when changed; folded if this device chose so.
let pinned;
function casePin(items, ctx) {
  if (pinned === (pinned = JSON.stringify([items, getLang()]))) return;
  const box = h("details", { class: "card", open: !local.get(key("case")) }, h("summary", { text: t("ui.kind.case") }), R.feed(items, ctx));
  box.ontoggle = () => local.set(key("case"), box.open ? null : 1);
  swap(regions.casePin, items.length ? box : null);
}

function fctx(state, me, contributions) {
  const origin = `${location.origin}/s/${state.session.code}`;
  return {
    state,
    me,
    contributions,
    send,
    control: (event, payload) => control(event, payload, state.control),
    busy: busy(),
    confirm: confirmDialog,
    signal: store.signal,
    links: { join: origin, screen: local.get(key("screen_url")), facilitator: local.get(key("facilitator_url")) },
  };
}

// What the question cards need; a card action's answer brings this person's new hand.
function cardsCtx(state, me) {
  const setHand = (hand) => {
    store.hand = hand;
    render();
  };
  // Every card action of the facilitator is a control (a double click deals once).
  const act = (event, payload, { stale = true } = {}) =>
    control(event, payload, stale || me?.role === "facilitator" ? state.control : null);
  return { state, me, deck: store.deck, hand: store.hand || [], contributions: store.contributions, send, control: act, busy: busy(), confirm: confirmDialog, announce, upsert, setHand, render, check: checkWriting };
}

// --- the session record

let recordUi = null; // record.js: downloads, follow-up, deletion, last time's actions
let recordLoading = false;

// record.js: for the facilitator, the case bringer from the takeaways on, a follow-up's start.
function recordWanted(state, me) {
  if (state.carried_actions?.length && state.session.status !== "ended") return true;
  if (me?.role === "facilitator") return true;
  if (me?.role !== "case_bringer" || state.session.status === "lobby") return false;
  const steps = state.method.steps;
  const step = steps[state.session.step_index];
  return state.session.status === "ended" || step === steps.at(-1) || step.rules.some((r) => r.type === "marks" && r.values.includes("keep"));
}

function renderRecord(state, me) {
  if (!recordUi) {
    if (recordLoading || !recordWanted(state, me)) return;
    recordLoading = true;
    import("./record.js")
      .then(async (m) => {
        await m.ready();
        recordUi = m;
        render();
      })
      .catch(() => {}) // tried again on the next update
      .finally(() => (recordLoading = false));
    return;
  }
  const token = () => local.get(key("token"));
  recordUi.render(regions, { view, state, me, contributions: contributionsList(), deck: store.deck, storage: local, token, onMark, onDeleted: sessionDeleted, refresh: render, check: checkWriting });
}

// The session was deleted (by the facilitator, or expired).
function sessionDeleted() {
  forget();
  for (const name of ["facilitator_url", "screen_url"]) local.set(key(name), null);
  tab.set(key("screen_key"), null);
  store.ended = "deleted";
  countdown.update(null);
  socket.disconnect();
  showGate("deleted");
  announce(t("ui.record.deleted.title"));
}

function lobbyOrEndHead(state, me) {
  const ended = state.session.status === "ended";
  return [
    h("p", { class: "step-count", text: pick(state.method.names) }),
    h("h1", { class: "step-name", id: "step-name", tabindex: "-1", text: t(ended ? "ui.ended.title" : "ui.lobby.title", { name: me?.name ?? "" }) }),
    h("p", { class: "step-purpose", text: t(ended ? "ui.ended.body" : me?.role === "facilitator" ? "ui.fac.lobby_facilitator" : "ui.lobby.body") }),
    me ? h("p", { class: `role-badge role-${me.role}`, text: t(`ui.you_are.${me.role}`) }) : null,
  ];
}

// The case bringer's quiet signals to the facilitator; only the facilitator receives them.
const SIGNALS = ["pause", "slower", "enough"];
let signalPause = false;
function signalPanel(state, me) {
  if (me?.role !== "case_bringer") return null;
  const lead = state.participants.find((p) => p.role === "facilitator");
  const signal = (kind) =>
    send("signal:send", { signal: kind, pause_timer: signalPause }).then((ack) => {
      if (!ack.ok) return;
      Object.assign(store, { signal: ack.signal, signalSeen: false });
      render();
    });
  const sent = store.signalSeen ? t("ui.signal.seen") : store.signal ? t("ui.signal.sent", { signal: t(`ui.signal.${store.signal.kind}`) }) : "";
  return h(
    "details",
    { class: "card signal-card", open: Boolean(sent) },
    h("summary", { "data-key": "signal" }, h("span", { text: t("ui.signal.title", { name: lead?.name ?? "" }) })),
    h("p", { class: "hint", text: t("ui.signal.hint") }),
    h("div", { class: "signal-buttons" }, SIGNALS.map((kind) => h("button", { type: "button", class: "button", "data-key": `signal-${kind}`, text: t(`ui.signal.${kind}`), on: { click: () => signal(kind) } }))),
    h(
      "div",
      { class: "check" },
      h("input", { type: "checkbox", id: "signal-pause", "data-key": "signal-pause", checked: signalPause, on: { change: (e) => (signalPause = e.target.checked) } }),
      h("label", { for: "signal-pause", text: t("ui.signal.pause_timer") }),
    ),
    h("p", { class: "signal-sent", role: "status", text: sent }),
  );
}

// The co-facilitator, while the facilitator is away: take over the lead with one click.
function takeOver(state, me) {
  const lead = state.participants.find((p) => p.role === "facilitator");
  if (!me || state.co_facilitator_id !== me.id || lead?.presence !== "away") return null;
  return h(
    "section",
    { class: "card take-over" },
    h("p", { text: t("ui.lead.take_hint", { name: lead.name }) }),
    h("button", { type: "button", class: "button primary", "aria-disabled": busy() ? "true" : null, "data-key": "take-over", text: t("ui.lead.take"), on: { click: () => control("lead:take", {}, state.control) } }),
  );
}

// Who the group waits for, a signal for the one who leads, time's up.
function notice(state, me) {
  if (state.session.status !== "running") return stateNotice(state, me);
  const lead = me?.role === "facilitator" && facilitatorUi ? fctx(state, me, contributionsList()) : null;
  return [
    lead && facilitatorUi.signalNote(lead),
    R.waitingNote(state, lead && facilitatorUi.goOnButton(lead)),
    takeOver(state, me),
    signalPanel(state, me),
    stateNotice(state, me),
  ];
}

function stateNotice(state, me) {
  if (state.session.status === "lobby") {
    const plan = h("section", { class: "card" }, h("h2", { class: "section-title", text: t("ui.lobby.plan") }), R.stepPlan(state));
    return me?.role === "facilitator" && facilitatorUi ? [facilitatorUi.invite(fctx(state, me, [])), plan] : plan;
  }
  if (state.session.status !== "running") return null;
  if (state.timer.state === "expired" || (state.timer.state === "running" && state.timer.deadline_ms <= clock.now())) {
    return h("p", { class: "times-up", text: t(me?.role === "facilitator" ? "ui.fac.timer_up_facilitator" : "ui.timer.up_body") });
  }
  // Writing to be revealed together: how many wait (the facilitator's card says it to them).
  if (state.sealed != null && me?.role !== "facilitator") return h("p", { class: "hint", role: "status", text: t(state.sealed === 1 ? "ui.sealed.waiting_one" : "ui.sealed.waiting", { n: state.sealed }) });
  return null;
}

// The group's confidentiality agreement: the case bringer's consent to the record, and for the
// facilitator how many confirmed the agreement and whether the case bringer consented.
function agreementState(state, me) {
  // With breakout groups each member was a round's client, and allows their own round into the record.
  const perRound = R.hasBreakouts(state);
  const members = state.participants.filter((p) => p.role !== "facilitator");
  const given = perRound ? members.find((p) => p.id === me.id)?.consented : state.session.record_consent;
  if (perRound ? me.role !== "facilitator" : me.role === "case_bringer") {
    const [label, hint] = perRound ? ["ui.consent.round_label", "ui.consent.round_hint"] : ["ui.consent.label", "ui.consent.hint"];
    return [
      h("div", { class: "check" },
        h("input", { id: "record-consent", type: "checkbox", checked: Boolean(given), "aria-describedby": "record-consent-hint", "data-key": "consent", on: { change: (event) => send("record:consent", { given: event.target.checked }) } }),
        h("label", { for: "record-consent", text: t(label) }),
        h("p", { class: "hint", id: "record-consent-hint", text: t(hint) })),
    ];
  }
  if (me.role !== "facilitator") return [];
  const agreed = state.participants.filter((p) => p.agreed).length;
  const consent = perRound
    ? t("ui.consent.rounds", { count: members.filter((p) => p.consented).length, total: members.length })
    : t(given ? "ui.consent.given" : "ui.consent.waiting");
  return [
    h("p", { class: "hint", role: "status", text: t("ui.agreement.count", { count: agreed, total: state.participants.length }) }),
    h("p", { class: "hint", role: "status", text: consent }),
  ];
}

function mePanel(state, me) {
  if (!me) return null;
  const parts = [];
  // The facilitator decides when to move on; the others say when they are done.
  if (state.session.status === "running" && me.role !== "facilitator") {
    const ready = state.participants.find((p) => p.id === me.id)?.ready;
    const { count, total } = state.ready;
    parts.push(
      h("button", {
        type: "button",
        class: `button ready-toggle${ready ? " is-ready" : ""}`,
        "aria-pressed": String(Boolean(ready)),
        "data-key": "ready",
        text: ready ? t("ui.ready.on") : t("ui.ready.off"),
        on: { click: () => send("ready:set", { ready: !ready }) },
      }),
      h("p", { class: "hint", text: t("ui.ready.count", { n: count, total }) }),
    );
  }
  // The step's loop_back rule: the case bringer (or whom it names) takes the group back.
  const loop = state.session.status === "running" && R.currentStep(state).rules.find((r) => r.type === "loop_back" && r.by.includes(me.role));
  if (loop) {
    const name = pick(state.method.steps.find((s) => s.id === loop.to).names);
    parts.push(
      h("h2", { class: "section-title", text: t("ui.loop.title") }),
      h("p", { class: "hint", text: t("ui.loop.body", { name }) }),
      h("button", { type: "button", class: "button", "aria-disabled": busy() ? "true" : null, "data-key": "loop", text: t("ui.loop.button", { name }), on: { click: () => control("step:loop", {}, state.control) } }),
    );
  }
  if (state.session.confidentiality) parts.push(...agreementState(state, me));
  const link = local.get(key("facilitator_url"));
  if (me.role !== "facilitator" && link && state.session.status !== "ended") {
    parts.push(
      h("button", {
        type: "button",
        class: "button",
        "data-key": "take-back",
        text: t("ui.take_back"),
        on: {
          click: () => {
            claimKey = new URLSearchParams(new URL(link).hash.slice(1)).get("key");
            enter();
          },
        },
      }),
    );
  }
  return parts.length ? h("section", { class: "card me-card" }, parts) : null;
}

function renderScreenView(state) {
  if (!screenUi) {
    import("./screen.js").then((m) => {
      screenUi = m;
      render();
    });
    return;
  }
  const running = state.session.status === "running";
  regions.timerWrap.hidden = !running;
  countdown.update(running ? state.timer : null, `${state.session.step_index}:${state.turn ? state.turn.index : ""}`);
  screenUi.renderScreen(regions, state, contributionsList());
  renderRecord(state, null);
  cardsUi?.renderScreen(regions, cardsCtx(state, null));
}

// --- wiring

socket.on("connect", enter);
socket.on("disconnect", (reason) => {
  store.joined = false;
  if (store.ended) return;
  // A hang-up on purpose means removed; that message follows.
  setBanner(reason === "io server disconnect" ? null : t("ui.conn.lost"));
  render();
});
socket.io.on("reconnect_attempt", () => store.state && setBanner(t("ui.conn.lost")));
socket.on("connect_error", () => {
  setBanner(t(store.state ? "ui.conn.lost" : "ui.conn.connecting"));
  // Refused (too many from this address): try again later, spread over a room.
  if (!socket.active) setTimeout(() => socket.connect(), 5000 + Math.random() * 10000);
});
socket.on("session:state", (state) => store.joined && applyState(state));
socket.on("contribution:new", (c) => upsert(c, { fromPush: true }));
socket.on("contribution:changed", (c) => upsert(c));
socket.on("contribution:hidden", ({ id }) => {
  store.contributions.delete(id);
  render();
});
socket.on("timer:expired", (data) => {
  if (store.state && data.step_index === store.state.session.step_index) countdown.expiredByServer(data.deadline_ms);
  render();
});
// A breakout group's phase time was up and it moved on: its members hear it (the state follows).
socket.on("breakout:expired", (data) => {
  if (store.state && store.me && B.groupOf(store.state, store.me.id)?.id === data.group) {
    sound.chime();
    announce(t("ui.breakouts.time_up"));
  }
});
socket.on("session:resync", () => enter());
// The case bringer's signal: to the facilitator when sent; to both when the facilitator has seen it.
socket.on("signal:new", (signal) => {
  store.signal = signal;
  announce(t("ui.fac.signal", { name: R.personName(store.state, signal.by), signal: t(`ui.signal.${signal.kind}`) }));
  render();
});
socket.on("signal:cleared", () => {
  store.signalSeen = store.me?.role === "case_bringer" && Boolean(store.signal);
  store.signal = null;
  render();
});
setInterval(() => R.tickSince(), 1000); // "waiting for Fien (2:13)" keeps counting
socket.on("cards:hand", (cards) => {
  if (!store.joined) return;
  store.hand = cards.hand;
  render();
});
socket.on("session:removed", () => {
  forget();
  showRemoved();
});
// The facilitator link was opened on another device: this one is signed out.
socket.on("session:revoked", () => {
  forget();
  store.ended = "revoked";
  showGate("revoked");
});
socket.on("session:deleted", sessionDeleted);

// Sound: allowed only after a gesture; the button mutes this device.
const soundButton = $("#sound-toggle");
function showSound() {
  if (!soundButton) return; // not on the read-only screen
  soundButton.setAttribute("aria-pressed", String(!sound.muted));
  soundButton.textContent = t(sound.muted ? "ui.sound.off" : "ui.sound.on");
}
soundButton?.addEventListener("click", () => {
  sound.setMuted(!sound.muted);
  showSound();
});
for (const event of ["pointerdown", "keydown"]) document.addEventListener(event, () => sound.unlock(), { once: true });

onLangChange((lang) => {
  showSound();
  if (store.joined && view !== "screen") request("language:set", { lang });
  if (store.state && !store.ended) render();
  else if (gate && !regions.gate.hidden) showGate(gate.kind, gate.message);
  countdown.tick();
});

readFragment();
setupLanguageSwitch();
showSound();
setBanner(null);
