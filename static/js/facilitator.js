// The facilitator's controls: invite, start, steps, timer, people, settings, end.
// Loaded only for whoever holds the facilitator role, to keep the participant page light.
import { h, uuid } from "./dom.js";
import { getLang, pick, t } from "./i18n.js";
import { LISTEN_RULES, currentStep, hasBreakouts, peopleList } from "./render.js";

export function formatCode(code) {
  return code.length === 6 ? `${code.slice(0, 3)} ${code.slice(3)}` : code;
}

function copyRow(id, labelKey, value, { open = false } = {}) {
  const input = h("input", { id, type: "text", readonly: true, value, class: "copy-field" });
  const done = h("span", { class: "copy-done", role: "status" });
  return h(
    "div",
    { class: "field" },
    h("label", { for: id, text: t(labelKey) }),
    h(
      "div",
      { class: "copy-row" },
      input,
      h("button", {
        type: "button",
        class: "button",
        "data-key": `copy-${id}`,
        text: t("ui.fac.copy"),
        on: {
          click: async () => {
            done.textContent = (await copyText(value, input)) ? t("ui.fac.copied") : t("ui.fac.copy_failed");
            setTimeout(() => (done.textContent = ""), 4000);
          },
        },
      }),
      open ? h("a", { class: "button", href: value, target: "_blank", rel: "noopener", text: t("ui.fac.open") }) : null,
    ),
    done,
  );
}

export function invite(ctx) {
  const { state, links } = ctx;
  const code = state.session.code;
  const body = [
    h("p", { class: "invite-lead", text: t("ui.fac.invite_lead") }),
    h(
      "div",
      { class: "invite-code" },
      h("div", {}, h("p", { class: "label", text: t("ui.fac.invite_code") }), h("p", { class: "join-code", text: formatCode(code) })),
      h("img", { class: "qr", src: `/s/${encodeURIComponent(code)}/qr.svg`, alt: t("ui.qr_alt"), width: 148, height: 148 }),
    ),
    copyRow("join-link", "ui.fac.invite_join_link", links.join),
    links.screen ? copyRow("screen-link", "ui.fac.invite_screen_link", links.screen, { open: true }) : null,
    links.facilitator
      ? h(
          "div",
          { class: "secret" },
          h("p", { class: "secret-title", text: t("ui.fac.invite_secret_title") }),
          h("p", { class: "hint", text: t("ui.fac.invite_secret_body") }),
          copyRow("facilitator-link", "ui.fac.invite_secret_link", links.facilitator),
        )
      : null,
  ];
  const lobby = state.session.status === "lobby";
  if (lobby) return h("section", { class: "card invite" }, h("h2", { class: "section-title", text: t("ui.fac.invite_title") }), body);
  return h(
    "details",
    { class: "card invite" },
    h("summary", { "data-key": "invite-summary" }, h("span", { text: t("ui.fac.invite_title") }), h("span", { class: "count", text: formatCode(code) })),
    body,
  );
}

// While a control is on its way, every control says so and ignores clicks (ctx.control sends
// one at a time); aria-disabled rather than disabled, so keyboard focus stays where it was.
function waiting(ctx) {
  return ctx.busy ? "true" : null;
}

function lobbyStart(ctx) {
  const { state, me, send } = ctx;
  const others = state.participants.filter((p) => p.id !== me.id);
  const bringer = state.participants.find((p) => p.role === "case_bringer");
  const groups = hasBreakouts(state); // no case bringer to pick (docs/methods.md)
  const select = h(
    "select",
    {
      id: "case-bringer",
      "data-key": "case-bringer",
      on: {
        change: (e) => e.target.value && send("role:assign", { participant_id: e.target.value, role: "case_bringer" }),
      },
    },
    h("option", { value: "", text: others.length ? t("ui.fac.start_pick") : t("ui.fac.start_nobody") }),
    others.map((p) => h("option", { value: p.id, text: p.name })),
  );
  select.value = bringer?.id ?? "";
  return h(
    "section",
    { class: "card start-card" },
    h("h2", { class: "section-title", text: t("ui.fac.start_title") }),
    groups ? null : h("div", { class: "field" }, h("label", { for: "case-bringer", text: t("ui.fac.start_case_bringer") }), select),
    h("button", {
      type: "button",
      class: "button primary wide",
      disabled: !bringer && !state.case_round && !groups, // a case round chooses the case bringer
      "aria-disabled": waiting(ctx),
      "data-key": "start",
      text: t("ui.fac.start_go"),
      on: { click: () => ctx.control("session:start") },
    }),
    bringer ? null : h("p", { class: "hint", text: t(groups ? "ui.fac.start_breakouts" : state.case_round ? "ui.fac.start_case_round" : "ui.fac.start_need_bringer") }),
  );
}

// In a breakouts step the groups' own clocks may run on after the step's time is up: pause or resume them.
function groupsClock(state) {
  const open = (state.breakouts?.groups || []).filter((g) => !g.done);
  if (open.some((g) => g.timer.state === "running")) return ["pause", "ui.fac.timer_pause"];
  if (open.some((g) => g.timer.state === "paused")) return ["resume", "ui.fac.timer_resume"];
  return null;
}

// Always-visible buttons in the step card: previous / next step and the timer.
export function quickBar(ctx) {
  const { state, control } = ctx;
  if (state.session.status !== "running") return null;
  const index = state.session.step_index;
  const last = index === state.method.steps.length - 1;
  const timer = state.timer;
  const main = {
    idle: ["start", "ui.fac.timer_start"],
    running: ["pause", "ui.fac.timer_pause"],
    paused: ["resume", "ui.fac.timer_resume"],
    expired: groupsClock(state),
  }[timer.state];
  const btn = (key, label, onClick, cls = "button") =>
    h("button", { type: "button", class: cls, "aria-disabled": waiting(ctx), "data-key": key, text: t(label), on: { click: onClick } });
  return h(
    "div",
    { class: "quick-bar" },
    h(
      "div",
      { class: "timer-controls", role: "group", "aria-label": t("ui.fac.timer_controls") },
      main ? btn(`timer-${main[0]}`, main[1], () => control("timer:control", { action: main[0] }), "button primary") : null,
      btn("timer-add", "ui.fac.timer_add", () => control("timer:control", { action: "add", seconds: 60 })),
      btn("timer-reset", "ui.fac.timer_reset", () => control("timer:control", { action: "reset" })),
    ),
    h(
      "div",
      { class: "step-controls", role: "group", "aria-label": t("ui.fac.steps_controls") },
      index > 0 ? btn("step-prev", "ui.fac.steps_prev", () => control("step:go", { to: "prev" })) : null,
      last
        ? btn("end-quick", "ui.fac.end_button", () => endSession(ctx), "button primary")
        : btn("step-next", "ui.fac.steps_next", () => nextStep(ctx), "button primary"),
    ),
  );
}

// The server may ask first (too few ready, nothing marked yet): its question in a dialog, once.
async function nextStep(ctx) {
  const ack = await ctx.control("step:go", { to: "next" });
  if (ack.error?.startsWith("confirm_") && (await ctx.confirm(ack.message, t("ui.fac.steps_next_anyway")))) {
    ctx.control("step:go", { to: "next", confirm: true });
  }
}

function minutesOf(seconds) {
  return Math.round(seconds / 60);
}

// Per step: how many of its questions the coach flagged as closed or advice (no names: no scores).
function flaggedNote(contributions, index) {
  const asked = contributions.filter((c) => c.step_index === index && c.kind === "question");
  if (!asked.length) return null;
  const count = asked.filter((c) => c.flag).length;
  return h("span", { class: "plan-flagged", text: t("ui.fac.flagged", { count, total: asked.length }) });
}

function plan(ctx) {
  const { state, control } = ctx;
  const current = state.session.step_index;
  return h(
    "section",
    { class: "card plan-card" },
    h("h2", { class: "section-title", text: t("ui.fac.steps_title") }),
    h(
      "ol",
      { class: "plan nav" },
      state.method.steps.map((s, i) =>
        h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: `plan-step${i === current ? " current" : ""}${i < current ? " done" : ""}`,
              "aria-current": i === current ? "step" : null,
              "aria-disabled": waiting(ctx),
              "data-key": `plan-${i}`,
              on: { click: () => i !== current && control("step:go", { to: i }) },
            },
            h("span", { class: "plan-name", text: `${i + 1}. ${pick(s.names)}` }),
            h("span", {
              class: "minutes",
              text: t("ui.fac.steps_minutes", { planned: s.minutes, spent: minutesOf(state.steps_spent_s[i] || 0) }),
            }),
            flaggedNote(ctx.contributions, i),
          ),
        ),
      ),
    ),
  );
}

function turnCard(ctx) {
  const { state, control } = ctx;
  const rule = currentStep(state).rules.find((r) => r.type === "turn_order");
  if (!rule || state.session.status !== "running") return null;
  const turn = state.turn;
  const name = (id) => state.participants.find((p) => p.id === id)?.name ?? "";
  let label = "ui.fac.turn_start";
  if (turn) label = turn.index + 1 < turn.order.length ? "ui.fac.turn_next" : "ui.fac.turn_finish";
  return h(
    "section",
    { class: "card" },
    h("h2", { class: "section-title", text: t("ui.fac.turn_title") }),
    turn
      ? h("p", { text: t("ui.fac.turn_now", { name: name(turn.order[turn.index]), n: turn.index + 1, total: turn.order.length }) })
      : h("p", { class: "hint", text: t("ui.fac.turn_idle") }),
    h("button", { type: "button", class: "button primary", "aria-disabled": waiting(ctx), "data-key": "turn", text: t(label), on: { click: () => control("turn:next") } }),
  );
}

// A 'reveal together' step: nobody, the facilitator included, reads the writing until it is shown at once.
function revealCard(ctx) {
  const { state, control } = ctx;
  if (state.session.status !== "running" || !currentStep(state).rules.some((r) => r.type === "reveal_together")) return null;
  return h(
    "section",
    { class: "card" },
    h("h2", { class: "section-title", text: t("ui.fac.reveal_title") }),
    state.sealed == null
      ? h("p", { class: "hint", text: t("ui.fac.revealed") })
      : [
          h("p", { class: "hint", text: t(state.sealed === 1 ? "ui.fac.reveal_count_one" : "ui.fac.reveal_count", { n: state.sealed }) }),
          h("button", { type: "button", class: "button primary", "aria-disabled": waiting(ctx), "data-key": "reveal", text: t("ui.fac.reveal_button"), on: { click: () => control("step:reveal") } }),
        ],
  );
}

// Who may write in this step but has not yet (the case bringer in a listening step is left out).
function silent(ctx) {
  const { state, me, contributions } = ctx;
  if (state.sealed != null) return []; // writing to be revealed together: not even the facilitator knows who wrote
  const step = currentStep(state);
  const writers = new Set(Object.values(step.contribute).flat());
  if (step.rules.some((r) => LISTEN_RULES.includes(r.type))) writers.delete("case_bringer");
  const wrote = new Set(contributions.filter((c) => c.step_index === state.session.step_index).map((c) => c.author_id));
  return state.participants.filter((p) => p.id !== me.id && writers.has(p.role) && !wrote.has(p.id));
}

// Everyone who can say they are done with this step has said so.
export function allReady(state) {
  return state.session.status === "running" && state.ready.total > 0 && state.ready.count === state.ready.total;
}

function people(ctx) {
  const { state, me, send, confirm } = ctx;
  const running = state.session.status === "running";
  // Counted by the server: only those who can say they are done (not the facilitator).
  const { count, total } = state.ready;
  const quiet = running ? silent(ctx) : [];
  const menu = (p) => {
    if (p.id === me.id) return null;
    const item = (key, label, onClick) =>
      h("button", { type: "button", class: "menu-item", "data-key": `${key}-${p.id}`, text: t(label, { name: p.name }), on: { click: onClick } });
    return h(
      "details",
      { class: "person-menu" },
      h("summary", { "data-key": `menu-${p.id}`, "aria-label": t("ui.fac.person_menu", { name: p.name }) }, h("span", { "aria-hidden": "true", text: "⋯" })),
      h(
        "div",
        { class: "menu" },
        p.role !== "case_bringer"
          ? item("cb", "ui.fac.person_make_case_bringer", () => send("role:assign", { participant_id: p.id, role: "case_bringer" }))
          : item("pt", "ui.fac.person_make_participant", () => send("role:assign", { participant_id: p.id, role: "participant" })),
        item("fac", "ui.fac.person_hand_over", async () => {
          if (await confirm(t("ui.fac.person_hand_over_confirm", { name: p.name }), t("ui.fac.person_hand_over_ok"))) {
            send("role:assign", { participant_id: p.id, role: "facilitator" });
          }
        }),
        item("rm", "ui.fac.person_remove", async () => {
          if (await confirm(t("ui.fac.person_remove_confirm", { name: p.name }), t("ui.fac.person_remove_ok"))) {
            send("participant:remove", { participant_id: p.id });
          }
        }),
      ),
    );
  };
  return h(
    "section",
    { class: "card people-card" },
    h("h2", { class: "section-title", text: t("ui.people.title", { n: state.participants.length }) }),
    running ? h("p", { class: "ready-count", text: t("ui.ready.count", { n: count, total }) }) : null,
    running && allReady(state) ? h("p", { class: "all-ready", "data-key": "all-ready", text: t("ui.fac.all_ready") }) : null,
    peopleList(state, me, { extra: menu }),
    running && quiet.length
      ? h("p", { class: "quiet", text: t("ui.fac.person_quiet", { names: quiet.map((p) => p.name).join(", ") }) })
      : null,
  );
}

// The case bringer's private signal, for whoever leads now; "Seen" takes it off this screen.
export function signalNote(ctx) {
  const { state, signal, send } = ctx;
  if (!signal || state.session.status !== "running") return null;
  const name = state.participants.find((p) => p.id === signal.by)?.name ?? "";
  return h(
    "section",
    { class: "card signal-note" },
    h("p", { class: "signal-text", text: t("ui.fac.signal", { name, signal: t(`ui.signal.${signal.kind}`) }) }),
    signal.paused ? h("p", { class: "hint", text: t("ui.fac.signal_paused") }) : null,
    h("button", { type: "button", class: "button", "data-key": "signal-seen", text: t("ui.fac.signal_seen"), on: { click: () => send("signal:clear") } }),
  );
}

// Shown with "waiting for ...": stop waiting, the timer runs on.
export function goOnButton(ctx) {
  return h("button", { type: "button", class: "button primary", "aria-disabled": waiting(ctx), "data-key": "go-on", text: t("ui.fac.go_on"), on: { click: () => ctx.control("waiting:end") } });
}

// Whoever took over from an away facilitator hands the lead back with one click.
function handBack(ctx) {
  const { state, send } = ctx;
  const back = state.participants.find((p) => p.id === state.stood_in_for);
  if (!back) return null;
  return h(
    "section",
    { class: "card" },
    h("button", { type: "button", class: "button wide", "data-key": "hand-back", text: t("ui.fac.hand_back", { name: back.name }), on: { click: () => send("role:assign", { participant_id: back.id, role: "facilitator" }) } }),
  );
}

// In a room with one screen: what someone without a device says, typed in for them. The form is kept
// between renders (state arrives while typing) and rebuilt only when the step or the language changes.
let behalf = { key: null, form: null };
function behalfCard(ctx) {
  const { state, send } = ctx;
  if (state.session.status !== "running") return null;
  const index = state.session.step_index;
  const kinds = Object.entries(currentStep(state).contribute).filter(([, roles]) => roles.includes("participant")).map(([kind]) => kind);
  if (!kinds.length) return null;
  const key = JSON.stringify([index, kinds, getLang()]);
  if (behalf.key !== key) behalf = { key, form: behalfForm(kinds, index, send) };
  const names = state.participants.filter((p) => p.role !== "facilitator").map((p) => h("option", { value: p.name }));
  behalf.form.querySelector("datalist").replaceChildren(...names);
  return behalf.form;
}

function behalfForm(kinds, index, send) {
  const status = h("p", { class: "form-status", role: "status" });
  const field = (id, label, control) => h("div", { class: "field" }, h("label", { for: id, text: t(label) }), control);
  const name = h("input", { id: "behalf-name", type: "text", maxlength: 40, list: "behalf-people", autocomplete: "off", "data-key": "behalf-name" });
  const kind = h("select", { id: "behalf-kind", "data-key": "behalf-kind" }, kinds.map((k) => h("option", { value: k, text: t(`ui.kind.${k}`) })));
  const text = h("textarea", { id: "behalf-text", rows: 2, maxlength: 2000, "data-key": "behalf-text" });
  const form = h(
    "form",
    { class: "card behalf", novalidate: true },
    h("h2", { class: "section-title", text: t("ui.fac.behalf_title") }),
    h("p", { class: "hint", text: t("ui.fac.behalf_hint") }),
    field("behalf-name", "ui.fac.behalf_name", name),
    h("datalist", { id: "behalf-people" }),
    kinds.length > 1 ? field("behalf-kind", "ui.fac.behalf_kind", kind) : null,
    field("behalf-text", "ui.fac.behalf_text", text),
    h("button", { type: "submit", class: "button primary", "data-key": "behalf-send", text: t("ui.fac.behalf_send") }),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const who = name.value.trim();
    if (!who || !text.value.trim()) {
      status.textContent = t(who ? "ui.compose.empty" : "ui.join.name_missing");
      (who ? text : name).focus();
      return;
    }
    const ack = await send("contribution:add", { client_id: uuid(), kind: kind.value, text: text.value, step_index: index, on_behalf_of: who });
    status.textContent = ack.ok ? t("ui.fac.behalf_done", { name: ack.contribution.author_name }) : ack.message;
    if (ack.ok) text.value = "";
  });
  return form;
}

// The shared screen: the step's instructions on request; a spotlight is chosen on a contribution.
function screenCard(ctx) {
  const { state, send } = ctx;
  if (state.session.status !== "running") return null;
  return h(
    "section",
    { class: "card screen-card" },
    h("h2", { class: "section-title", text: t("ui.fac.screen_title") }),
    h(
      "div",
      { class: "check" },
      h("input", { type: "checkbox", id: "screen-instructions", "data-key": "screen-instructions", checked: state.screen.instructions, on: { change: (e) => send("screen:show", { instructions: e.target.checked }) } }),
      h("label", { for: "screen-instructions", text: t("ui.fac.screen_instructions") }),
    ),
    state.screen.spotlight
      ? h("button", { type: "button", class: "button", "data-key": "spotlight-clear", text: t("ui.fac.screen_clear"), on: { click: () => send("screen:show", { spotlight: null }) } })
      : null,
  );
}

function settings(ctx) {
  const { state, send } = ctx;
  const box = (name, labelKey, hintKey) => {
    const id = `set-${name}`;
    return h(
      "div",
      { class: "check" },
      h("input", {
        type: "checkbox",
        id,
        "data-key": id,
        checked: state.session[name],
        "aria-describedby": `${id}-hint`,
        on: { change: (e) => send("session:settings", { [name]: e.target.checked }) },
      }),
      h("label", { for: id, text: t(labelKey) }),
      h("p", { class: "hint", id: `${id}-hint`, text: t(hintKey) }),
    );
  };
  return h(
    "section",
    { class: "card settings" },
    h("h2", { class: "section-title", text: t("ui.fac.settings_title") }),
    box("joining_locked", "ui.fac.settings_lock", "ui.fac.settings_lock_hint"),
    box("auto_start_timer", "ui.fac.settings_autostart", "ui.fac.settings_autostart_hint"),
    box("auto_advance", "ui.fac.settings_auto", "ui.fac.settings_auto_hint"),
    coFacilitator(ctx),
  );
}

// A participant who can take over with one click when the facilitator drops out.
function coFacilitator(ctx) {
  const { state, send } = ctx;
  const select = h(
    "select",
    { id: "set-co", "data-key": "set-co", "aria-describedby": "set-co-hint", on: { change: (e) => send("session:settings", { co_facilitator_id: e.target.value || null }) } },
    h("option", { value: "", text: t("ui.fac.settings_co_none") }),
    state.participants.filter((p) => p.role === "participant").map((p) => h("option", { value: p.id, text: p.name })),
  );
  select.value = state.co_facilitator_id ?? "";
  return h(
    "div",
    { class: "field" },
    h("label", { for: "set-co", text: t("ui.fac.settings_co") }),
    h("p", { class: "hint", id: "set-co-hint", text: t("ui.fac.settings_co_hint") }),
    select,
  );
}

async function endSession(ctx) {
  // Sent with the state the button was part of: if the session moved on meanwhile, it is refused.
  if (await ctx.confirm(t("ui.fac.end_confirm"), t("ui.fac.end_ok"))) ctx.control("session:end");
}

export function controlPanel(ctx) {
  const { state } = ctx;
  const status = state.session.status;
  if (status === "ended") return [];
  return [
    handBack(ctx),
    status === "lobby" ? lobbyStart(ctx) : invite(ctx), // in the lobby the invite sits in the main column
    status === "running" ? turnCard(ctx) : null,
    revealCard(ctx),
    people(ctx),
    behalfCard(ctx),
    screenCard(ctx),
    status === "running" ? plan(ctx) : null,
    settings(ctx),
    h(
      "section",
      { class: "card end-card" },
      h("button", { type: "button", class: "button danger wide", "aria-disabled": waiting(ctx), "data-key": "end", text: t("ui.fac.end_button"), on: { click: () => endSession(ctx) } }),
    ),
  ];
}

// Copy text; the Clipboard API needs a secure origin, so fall back to selecting the field.
async function copyText(text, field) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (!field) return false;
    field.focus();
    field.select();
    try {
      return document.execCommand("copy");
    } catch {
      return false;
    }
  }
}
