// The session record around a live session: downloading it (PDF, Markdown, JSON) with or without
// names, the case as the case bringer wants it recorded, the takeaways they keep, the attendance
// list, deleting the session, a follow-up session, and the actions carried over from last time.
// Loaded only when someone needs it, with its texts and styles: it is no part of a first load.
// The participant token travels in an Authorization header, never in an address.
import { h, swap } from "./dom.js";
import { addTexts, getLang, t } from "./i18n.js";
import { nudgeBox } from "./nudge.js";

const ACTION_FIELDS = ["who", "when", "measure"];

// A refusal with a message for the person (from the server, in their language).
class Refused extends Error {}

const prefs = { names: false }; // the names choice, shared by every download on this page
// The case as recorded, per session code: {state: loading|ready|failed, text, told, edited, draft, note, rev}
const cases = new Map();

// --- loading ----------------------------------------------------------------------------

let loading = null;

// Texts and styles first, so nothing shows half-dressed; a failed load is tried again later.
export function ready() {
  loading ??= Promise.all([loadTexts(), loadStyles()]).catch((err) => {
    loading = null;
    throw err;
  });
  return loading;
}

async function loadTexts() {
  const response = await fetch("/api/texts/record");
  if (!response.ok) throw new Error(`texts: ${response.status}`);
  addTexts(await response.json());
}

function loadStyles() {
  if (document.querySelector("link[data-record-css]")) return null;
  return new Promise((resolve) => {
    const link = h("link", { rel: "stylesheet", href: "/static/css/record.css", "data-record-css": "" });
    link.addEventListener("load", resolve, { once: true });
    link.addEventListener("error", resolve, { once: true }); // unstyled beats nothing
    document.head.append(link);
  });
}

// --- what to show where -------------------------------------------------------------------

function stepAt(state) {
  return state.method.steps[state.session.step_index];
}

// Last time's actions belong to the opening: the lobby, and the steps before the case is told.
export function opening(state) {
  const { status, step_index: index } = state.session;
  if (status === "lobby") return true;
  if (status !== "running") return false;
  const told = (s) => "case" in s.contribute || "case_proposal" in s.contribute;
  const step = stepAt(state);
  return "review" in step.contribute || !state.method.steps.slice(0, index + 1).some(told);
}

function keepStep(state, me) {
  if (state.session.status !== "running" || !me) return false;
  return stepAt(state).rules.some((r) => r.type === "marks" && r.values.includes("keep") && r.by.includes(me.role));
}

// The same rule as the server's: the facilitator at any time, the case bringer from the last step.
export function mayExport(state, me) {
  if (me?.role === "facilitator") return true;
  const { status, step_index: index } = state.session;
  const last = index >= state.method.steps.length - 1;
  return me?.role === "case_bringer" && (status === "ended" || (status === "running" && last));
}

// What this module draws in the main column: one thing at a time.
function mainMode(state, me) {
  if (!me) return null;
  const role = me.role;
  if (state.carried_actions?.length && opening(state)) return "carried";
  if (role === "case_bringer" && keepStep(state, me) && !mayExport(state, me)) return "keep";
  if (role === "case_bringer" && mayExport(state, me)) return "export";
  if (role === "facilitator" && state.session.status === "ended") return "export";
  return null;
}

// ctx: {view, state, me, contributions, deck, token(), storage, onMark, onDeleted(), refresh()}
export function render(regions, ctx) {
  const { state, me, view } = ctx;
  if (view === "screen") {
    const show = state.session.status === "running" && state.carried_actions?.length && opening(state);
    fill(regions.carried, show ? "carried" : null, [getLang(), state.carried_actions], () => carriedCard(state.carried_actions, { screen: true }));
    return;
  }
  const mode = mainMode(state, me);
  const code = state.session.code;
  const signature = [getLang(), me?.role, state.session.status, state.session.step_index];
  let build = null;
  if (mode === "carried") {
    signature.push(state.carried_actions);
    build = () => carriedCard(state.carried_actions);
  } else if (mode === "keep") {
    const kept = keptBy(ctx.contributions, me.id);
    signature.push(kept.map((c) => [c.id, c.text]));
    build = () => keepCard(ctx, kept);
  } else if (mode === "export") {
    const entry = caseEntry(ctx);
    signature.push(entry?.state, entry?.edited, entry?.rev);
    build = () => exportArea(ctx);
  }
  fill(regions.record, mode, signature, build);
  // The facilitator's tools wait, folded, in the side column; once the session ended they unfold there.
  let side = null;
  if (me?.role === "facilitator") side = state.session.status === "ended" ? "admin" : "tools";
  fill(regions.recordSide, side, [getLang(), code], () =>
    side === "tools"
      ? toolsCard(ctx)
      : [h("section", { class: "card" }, attendance(ctx, "side", "h2")), h("section", { class: "card" }, deletion(ctx, "side", "h2"))],
  );
}

// Rebuild a region only when what it shows changed: typing and choices survive other updates.
function fill(region, mode, signature, build) {
  if (!region) return;
  const sig = JSON.stringify([mode, signature]);
  if (region.dataset.sig === sig) return;
  region.dataset.sig = sig;
  region.dataset.mode = mode || "";
  swap(region, mode ? build() : null);
  region.hidden = !mode;
}

// --- last time's actions ----------------------------------------------------------------

function actionFacts(action) {
  const rows = ACTION_FIELDS.filter((k) => action[k]);
  if (!rows.length) return null;
  return h(
    "dl",
    { class: "action-details" },
    rows.map((k) => [h("dt", { text: t(`ui.action.${k}_short`) }), h("dd", { text: action[k] })]),
  );
}

export function carriedCard(actions, { screen = false } = {}) {
  const id = screen ? "carried-screen-title" : "carried-title";
  return h(
    "section",
    { class: `carried${screen ? "" : " card"}`, "aria-labelledby": id },
    h("h2", { class: "carried-title", id, text: t("ui.record.carried.title") }),
    h("p", { class: "carried-lead", text: t("ui.record.carried.lead") }),
    h(
      "ol",
      { class: "carried-list" },
      actions.map((a) =>
        h(
          "li",
          { class: "carried-item" },
          h("p", { class: "c-text", text: a.text }),
          actionFacts(a),
          a.author ? h("p", { class: "c-meta", text: t("ui.record.carried.by", { name: a.author }) }) : null,
        ),
      ),
    ),
  );
}

// --- takeaways the case bringer keeps ---------------------------------------------------------

function keptBy(contributions, id) {
  return contributions
    .filter((c) => (c.marks || []).some((m) => m.by === id && m.value === "keep"))
    .sort((a, b) => (a.created_at_ms ?? 0) - (b.created_at_ms ?? 0));
}

function keepCard(ctx, kept) {
  const jump = () => {
    // The first thing that can be kept, in the earlier steps below; else the steps themselves.
    const target = document.querySelector(".history .mark-button.mark-keep") || document.querySelector(".history summary");
    target?.scrollIntoView({ block: "center", behavior: matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth" });
    target?.focus({ preventScroll: true });
  };
  return h(
    "section",
    { class: "card keep-card", "aria-labelledby": "keep-title" },
    h("h2", { class: "section-title", id: "keep-title", tabindex: "-1", "data-key": "keep-title", text: t("ui.record.keep.title") }),
    h("p", { text: t("ui.record.keep.how", { keep: t("ui.mark.keep") }) }),
    h("h3", { class: "keep-count", text: t("ui.record.keep.count", { n: kept.length }) }),
    kept.length
      ? h(
          "ul",
          { class: "keep-list" },
          kept.map((c) =>
            h(
              "li",
              { class: "keep-item" },
              h("span", { class: "keep-kind", text: t(`ui.kind.${c.kind}`) }),
              h("span", { class: "keep-text", id: `kept-${c.id}`, text: c.text }),
              // Named by what it shows (WCAG 2.5.3); which item it is about is its description.
              h("button", {
                type: "button",
                class: "link-button",
                "data-key": `unkeep:${c.id}`,
                "aria-describedby": `kept-${c.id}`,
                text: t("ui.record.keep.undo"),
                on: {
                  click: () => {
                    document.getElementById("keep-title")?.focus(); // this item is about to go
                    ctx.onMark(c, "keep", false);
                  },
                },
              }),
            ),
          ),
        )
      : h("p", { class: "empty", text: t("ui.record.keep.none") }),
    h("button", { type: "button", class: "button", "data-key": "keep-jump", text: t("ui.record.keep.jump"), on: { click: jump } }),
  );
}

// --- downloads ----------------------------------------------------------------------------

function zoneName() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return "";
  }
}

// POST with the token in the header; the answer becomes a file the browser saves.
async function api(ctx, path, fields = {}) {
  const body = new URLSearchParams({ lang: getLang(), ...fields });
  return fetch(`/api/sessions/${encodeURIComponent(ctx.state.session.code)}/${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${ctx.token()}` },
    body,
  });
}

async function refusal(response) {
  const answer = await response.json().catch(() => null);
  return new Refused(answer?.message || t("ui.record.export.failed"));
}

function problem(err) {
  return err instanceof Refused ? err.message : t("ui.record.export.failed");
}

async function download(ctx, path, fields, status) {
  status.textContent = t("ui.record.export.busy");
  try {
    if (path.startsWith("record.")) await saveCaseIfChanged(ctx);
    const response = await api(ctx, path, { tz: zoneName(), ...fields });
    if (!response.ok) throw await refusal(response);
    const disposition = response.headers.get("Content-Disposition") || "";
    const name = /filename="([^"]+)"/.exec(disposition)?.[1] || path;
    const url = URL.createObjectURL(await response.blob());
    const link = h("a", { href: url, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    status.textContent = t("ui.record.export.done", { file: name });
  } catch (err) {
    status.textContent = problem(err);
  }
}

function namesChoice(place) {
  const option = (value, labelKey, hintKey) => {
    const id = `${place}-names-${value ? "yes" : "no"}`;
    return h(
      "div",
      { class: "choice" },
      h("input", {
        type: "radio",
        name: `${place}-names`,
        id,
        value: value ? "yes" : "no",
        checked: prefs.names === value,
        "aria-describedby": `${id}-hint`,
        on: {
          change: () => {
            prefs.names = value;
            // The other copy of the choice (side column or main) follows.
            for (const other of document.querySelectorAll(`.names-choice input[value="${value ? "yes" : "no"}"]`)) other.checked = true;
          },
        },
      }),
      h("label", { for: id, text: t(labelKey) }),
      h("p", { class: "hint", id: `${id}-hint`, text: t(hintKey) }),
    );
  };
  return h(
    "fieldset",
    { class: "names-choice" },
    h("legend", { text: t("ui.record.export.names_legend") }),
    option(false, "ui.record.export.names_no", "ui.record.export.names_no_hint"),
    option(true, "ui.record.export.names_yes", "ui.record.export.names_yes_hint"),
  );
}

function downloads(ctx, place) {
  const status = h("p", { class: "download-status", role: "status", "data-status": "download" });
  const button = (fmt, primary) =>
    h(
      "button",
      {
        type: "button",
        class: `button download${primary ? " primary" : ""}`,
        "data-key": `${place}-download-${fmt}`,
        on: { click: () => download(ctx, `record.${fmt}`, prefs.names ? { names: "true" } : {}, status) },
      },
      h("span", { class: "download-name", text: t(`ui.record.export.${fmt}`) }),
      h("span", { class: "download-hint", text: t(`ui.record.export.${fmt}_hint`) }),
    );
  return h(
    "div",
    { class: "downloads", role: "group", "aria-labelledby": `${place}-download-title` },
    h("h3", { class: "record-sub", id: `${place}-download-title`, text: t("ui.record.export.download_title") }),
    h("div", { class: "download-buttons" }, button("pdf", true), button("md"), button("json")),
    status,
  );
}

// --- the case as recorded ---------------------------------------------------------------------

function caseEntry(ctx) {
  if (ctx.me?.role !== "case_bringer") return null;
  const code = ctx.state.session.code;
  if (!cases.has(code)) {
    const entry = { state: "loading", text: "", told: "", edited: false, draft: null, note: null, rev: 0 };
    cases.set(code, entry);
    loadCase(ctx, entry);
  }
  return cases.get(code);
}

async function loadCase(ctx, entry) {
  try {
    const response = await fetch(`/api/sessions/${encodeURIComponent(ctx.state.session.code)}/record/case`, {
      headers: { Authorization: `Bearer ${ctx.token()}` },
    });
    if (!response.ok) throw new Error(String(response.status));
    Object.assign(entry, await response.json(), { state: "ready" });
  } catch {
    entry.state = "failed";
  }
  entry.rev += 1;
  ctx.refresh();
}

async function saveCase(ctx, entry, text) {
  const response = await api(ctx, "record/case", { text });
  if (!response.ok) throw await refusal(response);
  const saved = await response.json();
  Object.assign(entry, saved, { draft: null });
  return saved;
}

// Downloading right after editing the case keeps the edit: it is saved first.
async function saveCaseIfChanged(ctx) {
  const entry = ctx.me?.role === "case_bringer" ? cases.get(ctx.state.session.code) : null;
  if (!entry || entry.state !== "ready" || entry.draft == null || entry.draft.trim() === entry.text.trim()) return;
  await saveCase(ctx, entry, entry.draft);
}

function caseEditor(ctx) {
  const entry = caseEntry(ctx);
  const title = h("h3", { class: "record-sub", id: "case-edit-title", text: t("ui.record.export.case_title") });
  if (entry.state === "loading") return h("div", { class: "case-edit" }, title, h("p", { class: "hint", text: t("ui.record.export.case_loading") }));
  if (entry.state === "failed") {
    const retry = () => {
      entry.state = "loading";
      entry.rev += 1;
      loadCase(ctx, entry);
      ctx.refresh();
    };
    return h(
      "div",
      { class: "case-edit" },
      title,
      h("p", { class: "hint", text: t("ui.record.export.failed") }),
      h("button", { type: "button", class: "button", "data-key": "case-retry", text: t("ui.record.export.retry"), on: { click: retry } }),
    );
  }
  // What was last said about saving stays until the text changes again, even if the area is redrawn.
  const status = h("p", { class: "form-status", role: "status", id: "case-edit-status", text: entry.note ? t(entry.note) : "" });
  const area = h("textarea", {
    id: "case-edit-text",
    "data-key": "case-edit-text",
    rows: 7,
    maxlength: 6000,
    "aria-describedby": "case-edit-hint",
    on: {
      input: (e) => {
        entry.draft = e.target.value;
        entry.note = null;
        status.textContent = "";
      },
    },
  });
  area.value = entry.draft ?? entry.text;
  const act = async (text, doneKey) => {
    status.textContent = "";
    try {
      await saveCase(ctx, entry, text);
      entry.note = doneKey;
      area.value = entry.text;
      status.textContent = t(doneKey);
      const focused = document.activeElement === restore;
      restore.hidden = !entry.edited;
      edited.hidden = !entry.edited;
      if (focused && restore.hidden) area.focus(); // the button is gone: back to the text
    } catch (err) {
      status.textContent = problem(err);
    }
  };
  const restore = h("button", {
    type: "button",
    class: "button",
    "data-key": "case-restore",
    hidden: !entry.edited,
    text: t("ui.record.export.case_restore"),
    on: { click: () => act("", "ui.record.export.case_restored") },
  });
  const edited = h("p", { class: "case-edited", hidden: !entry.edited, text: t("ui.record.export.case_edited") });
  return h(
    "form",
    {
      class: "case-edit",
      "aria-labelledby": "case-edit-title",
      novalidate: true,
      on: {
        submit: (e) => {
          e.preventDefault();
          act(area.value, "ui.record.export.case_saved");
        },
      },
    },
    title,
    h("p", { class: "hint", id: "case-edit-hint", text: t(entry.told ? "ui.record.export.case_hint" : "ui.record.export.case_none") }),
    h(
      "div",
      { class: "field" },
      h("label", { for: "case-edit-text", text: t("ui.record.export.case_label") }),
      edited,
      area,
      // Names and other personal data still in the case, with a one-click replacement (the privacy guard).
      ctx.check ? nudgeBox(area, "case", ctx.check) : null,
    ),
    h(
      "div",
      { class: "form-row" },
      h("button", { type: "submit", class: "button", "data-key": "case-save", text: t("ui.record.export.case_save") }),
      restore,
    ),
    status,
  );
}

// --- the record area: the case bringer at the close, the facilitator after the end ----------------

function exportArea(ctx) {
  const { state, me } = ctx;
  const caseBringer = me.role === "case_bringer";
  return [
    h(
      "section",
      { class: "card record-card", "aria-labelledby": "record-title" },
      h("h2", { class: "record-title", id: "record-title", text: t("ui.record.export.title") }),
      h("p", { class: "lead", text: t(caseBringer ? "ui.record.export.lead" : "ui.record.export.lead_facilitator") }),
      namesChoice("main"),
      caseBringer ? caseEditor(ctx) : h("p", { class: "hint", text: t("ui.record.export.case_by_bringer") }),
      downloads(ctx, "main"),
    ),
    state.session.status === "ended" ? followUp(ctx) : null,
  ];
}

function toolsCard(ctx) {
  return h(
    "details",
    { class: "card record-tools" },
    h("summary", { "data-key": "record-tools" }, h("span", { text: t("ui.record.fac.tools_title") })),
    h("p", { class: "hint", text: t("ui.record.export.lead_facilitator") }),
    namesChoice("side"),
    downloads(ctx, "side"),
    attendance(ctx, "side"),
    deletion(ctx, "side"),
  );
}

function attendance(ctx, place, heading = "h3") {
  const status = h("p", { class: "download-status", role: "status" });
  return h(
    "div",
    { class: "record-block" },
    h(heading, { class: "record-sub", text: t("ui.record.fac.attendance_title") }),
    h("p", { class: "hint", id: `${place}-attendance-hint`, text: t("ui.record.fac.attendance_hint") }),
    h("button", {
      type: "button",
      class: "button",
      "data-key": `${place}-attendance`,
      "aria-describedby": `${place}-attendance-hint`,
      text: `${t("ui.record.fac.attendance_button")} (CSV)`,
      on: { click: () => download(ctx, "attendance.csv", {}, status) },
    }),
    status,
  );
}

// --- deleting -------------------------------------------------------------------------------

function normalise(raw) {
  return raw.replace(/[\s-]/g, "").toUpperCase();
}

// As the invite shows it, kept on one line.
function formatCode(code) {
  return code.length === 6 ? `${code.slice(0, 3)}\u00a0${code.slice(3)}` : code;
}

function deletion(ctx, place, heading = "h3") {
  return h(
    "div",
    { class: "record-block danger-zone" },
    h(heading, { class: "record-sub", text: t("ui.record.fac.delete_title") }),
    h("p", { class: "hint", id: `${place}-delete-hint`, text: t("ui.record.fac.delete_hint") }),
    h("button", {
      type: "button",
      class: "button danger",
      "data-key": `${place}-delete`,
      "aria-describedby": `${place}-delete-hint`,
      text: t("ui.record.fac.delete_button"),
      on: { click: (e) => deleteDialog(ctx, e.currentTarget) },
    }),
  );
}

function deleteDialog(ctx, opener) {
  const code = ctx.state.session.code;
  const shown = formatCode(code);
  const input = h("input", {
    id: "delete-code",
    type: "text",
    class: "code-confirm",
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    maxlength: 12,
    "aria-describedby": "delete-status",
  });
  const status = h("p", { class: "form-status", id: "delete-status", role: "alert" });
  const ok = h("button", { type: "submit", class: "button danger-solid", "data-key": "delete-ok", text: t("ui.record.fac.delete_ok") });
  const dialog = h(
    "dialog",
    { class: "dialog delete-dialog", "aria-labelledby": "delete-title", "aria-describedby": "delete-body" },
    h(
      "form",
      { novalidate: true },
      h("h2", { id: "delete-title", text: t("ui.record.fac.delete_dialog_title") }),
      h("p", { id: "delete-body", text: t("ui.record.fac.delete_dialog_body") }),
      h("div", { class: "field" }, h("label", { for: "delete-code", text: t("ui.record.fac.delete_code_label", { code: shown }) }), input),
      status,
      h(
        "div",
        { class: "dialog-buttons" },
        h("button", { type: "button", class: "button", "data-key": "delete-cancel", text: t("ui.record.fac.delete_cancel"), on: { click: () => dialog.close() } }),
        ok,
      ),
    ),
  );
  dialog.querySelector("form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (normalise(input.value) !== code) {
      status.textContent = t("ui.record.fac.delete_mismatch", { code: shown });
      input.focus();
      return;
    }
    ok.disabled = true;
    status.textContent = "";
    try {
      const response = await api(ctx, "delete", { confirm: code });
      if (!response.ok) throw await refusal(response);
      dialog.close();
      ctx.onDeleted();
    } catch (err) {
      status.textContent = problem(err);
      ok.disabled = false;
    }
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (opener.isConnected) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  input.focus();
}

// --- follow-up --------------------------------------------------------------------------------

function followUp(ctx) {
  const { me } = ctx;
  const status = h("p", { class: "form-status", role: "status" });
  const button = h("button", {
    type: "button",
    class: "button primary",
    "data-key": "follow-up",
    text: t("ui.record.follow.button"),
    on: { click: () => startFollowUp(ctx, button, status) },
  });
  return h(
    "section",
    { class: "card follow-card", "aria-labelledby": "follow-title" },
    h("h2", { class: "section-title", id: "follow-title", text: t("ui.record.follow.title") }),
    h("p", { text: t("ui.record.follow.lead") }),
    me.role !== "facilitator" ? h("p", { class: "hint", text: t("ui.record.follow.you_lead") }) : null,
    button,
    status,
  );
}

// The new session: same method, title and minutes; its creator becomes its facilitator.
async function startFollowUp(ctx, button, status) {
  const { state, me, deck, storage } = ctx;
  const payload = {
    method_id: state.method.id,
    name: me.name,
    title: state.session.title || "",
    lang: getLang(),
    step_minutes: Object.fromEntries(state.method.steps.map((s) => [s.id, s.minutes])),
    follow_up: { code: state.session.code, token: ctx.token() },
  };
  if (deck) payload.deck_id = deck.id;
  button.disabled = true;
  status.textContent = t("ui.record.follow.busy");
  try {
    const response = await fetch("/api/sessions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
    });
    const created = await response.json();
    if (!created.ok) throw new Refused(created.message);
    remember(storage, created);
    location.assign(`/s/${encodeURIComponent(created.code)}/facilitator`);
  } catch (err) {
    status.textContent = problem(err);
    button.disabled = false;
  }
}

// Like the start page: the token, and the links that bring the facilitator back on another device.
export function remember(storage, created) {
  const code = created.code;
  const screenKey = new URL(created.screen_url).hash.slice(5);
  storage.set(`intervisie:${code}:token`, created.token);
  storage.set(`intervisie:${code}:facilitator_url`, `${created.facilitator_url}&screen=${screenKey}`);
  storage.set(`intervisie:${code}:screen_url`, created.screen_url);
}

// --- the start page: a follow-up from an earlier record file -------------------------------------

// Only what the follow-up needs leaves the device: the actions, and whether names were included.
export async function readRecordFile(file) {
  let record;
  try {
    if (file.size > 5 * 1024 * 1024) throw new Error("too large");
    record = JSON.parse(await file.text());
  } catch {
    return { error: t("ui.record.follow.file_bad") };
  }
  if (!record || typeof record !== "object" || record.schema_version !== 1 || !Array.isArray(record.actions)) {
    return { error: t("ui.record.follow.file_bad") };
  }
  const actions = record.actions
    .filter((a) => a && typeof a.text === "string")
    .map((a) => Object.fromEntries(["text", ...ACTION_FIELDS, "author"].filter((k) => typeof a[k] === "string").map((k) => [k, a[k]])));
  const slim = {
    schema_version: record.schema_version,
    names_included: record.names_included === true,
    session: { id: typeof record.session?.id === "string" ? record.session.id : null },
    actions,
  };
  const n = actions.length;
  const message = n === 0 ? t("ui.record.follow.file_empty") : n === 1 ? t("ui.record.follow.file_found_one") : t("ui.record.follow.file_found", { n });
  return { record: slim, message, method: record.session?.method?.id, title: record.session?.title };
}
