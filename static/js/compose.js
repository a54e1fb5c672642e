// The writing area: one small form per kind this person may add in the current step.
import { h, swap } from "./dom.js";
import { pick, t } from "./i18n.js";
import { nudgeBox } from "./nudge.js";
import { breakoutsRule, composeModel as breakoutsModel } from "./breakouts.js";
import { LISTEN_RULES, currentStep, personName } from "./render.js";

// Before the start, a method with a case round takes pitches already: each may prepare theirs via
// the join link, filed in the first step that takes them (the server's session.filing_step). Its index, or null.
export function earlyPitchStep(state) {
  const steps = state.method.steps;
  if (state.session.status !== "lobby" || !steps.some((s) => s.rules.some((r) => r.type === "case_round"))) return null;
  const at = steps.findIndex((s) => "case_proposal" in s.contribute);
  return at < 0 ? null : at;
}

// The step a new contribution of ``kind`` is filed in.
export function filingIndex(state, kind) {
  const early = kind === "case_proposal" ? earlyPitchStep(state) : null;
  return early ?? state.session.step_index;
}

// What the person may do now, as plain data: the area is only rebuilt when this changes.
export function composeModel(state, me, mine) {
  if (!me) return { mode: "none" };
  const early = earlyPitchStep(state);
  if (early !== null) return earlyPitchModel(state, me, mine, state.method.steps[early], early);
  const step = currentStep(state);
  if (state.session.status !== "running") return { mode: "none" };
  if (step.rules.some((r) => r.type === "stillness")) return { mode: "stillness" };
  const groups = breakoutsRule(state);
  if (groups) return breakoutsModel(state, me, groups); // the group's phase says who writes what
  const listenRule = step.rules.find((r) => LISTEN_RULES.includes(r.type));
  if (me.role === "case_bringer" && listenRule) {
    // Turned away: no part in the talk, but notes only they can read.
    const notes = listenRule.type === "case_bringer_turned_away" ? ["note"] : [];
    return { mode: "listen", rule: listenRule.type, step: state.session.step_index, kinds: notes, full: [], sent: [] };
  }
  const kinds = Object.entries(step.contribute)
    .filter(([, roles]) => roles.includes(me.role))
    .map(([kind]) => kind);
  if (!kinds.length) {
    const writers = [...new Set(Object.values(step.contribute).flat())];
    // A step where nobody writes (a case round's vote, a silence) needs no "who writes" line.
    return writers.length ? { mode: "others", writers } : { mode: "none" };
  }
  const turnRule = step.rules.find((r) => r.type === "turn_order");
  let waitingFor = null;
  let myTurn = false;
  if (turnRule && state.turn && turnRule.roles.includes(me.role)) {
    const speaker = state.turn.order[state.turn.index];
    if (speaker !== me.id) waitingFor = personName(state, speaker);
    else myTurn = true;
  }
  const { full, sent } = capped(step, kinds, mine);
  // Answers are written under their question (render.js), not here: this area only says how.
  const written = kinds.filter((k) => k !== "answer");
  return { mode: "write", step: state.session.step_index, kinds: written, answers: written.length < kinds.length, waitingFor, myTurn, full, sent };
}

// The kinds whose per-person cap ``mine`` has reached, and what was sent of them.
function capped(step, kinds, mine) {
  const full = [];
  for (const cap of step.rules.filter((r) => r.type === "max_per_person")) {
    const used = mine.filter((c) => !cap.kind || c.kind === cap.kind).length;
    if (used >= cap.count) full.push(...(cap.kind ? [cap.kind] : kinds));
  }
  const sent = mine.filter((c) => full.includes(c.kind)).map((c) => [c.text, !!c.pending]);
  return { full: [...new Set(full)].sort(), sent };
}

// In the lobby: the pitch this person may prepare for the case round, optional.
function earlyPitchModel(state, me, mine, step, index) {
  if (!step.contribute.case_proposal.includes(me.role)) return { mode: "none" };
  const kinds = ["case_proposal"];
  return { mode: "write", early: index + 1, step: index, kinds, answers: false, waitingFor: null, myTurn: false, ...capped(step, kinds, mine) };
}

function field(kind, name, labelKey, { multiline = false, hintKey = null } = {}) {
  const id = `f-${kind}-${name}`;
  const hint = hintKey ? h("p", { class: "hint", id: `${id}-hint`, text: t(hintKey) }) : null;
  const control = multiline
    ? h("textarea", { id, name, rows: 3, maxlength: 2000, "data-key": id, "aria-describedby": hint ? `${id}-hint` : null })
    : h("input", { id, name, type: "text", maxlength: 200, "data-key": id, autocomplete: "off" });
  return h("div", { class: "field" }, h("label", { for: id, text: t(labelKey) }), hint, control);
}

function form(kind, model, onSubmit, check) {
  const disabled = Boolean(model.waitingFor);
  const status = h("p", { class: "form-status", role: "status", "data-status": kind });
  const fields = [field(kind, "text", `ui.input.${kind}`, { multiline: true, hintKey: hintFor(kind) })];
  if (check) fields.push(nudgeBox(fields[0].querySelector("textarea"), kind, check));
  if (kind === "action") {
    // Who, by when and how you will know: the optional rest of a SMART action.
    fields.push(
      h(
        "fieldset",
        { class: "smart-set", "aria-describedby": `f-${kind}-smart-hint` },
        h("legend", { text: t("ui.record.smart.legend") }),
        h("p", { class: "hint", id: `f-${kind}-smart-hint`, text: t("ui.record.smart.hint") }),
        h(
          "div",
          { class: "smart" },
          field(kind, "who", "ui.action.who"),
          field(kind, "when", "ui.action.when"),
          field(kind, "measure", "ui.action.measure"),
        ),
      ),
    );
  }
  const el = h(
    "form",
    { class: `compose-form kind-${kind}`, "data-kind": kind, novalidate: true },
    h("fieldset", { disabled }, fields, h("div", { class: "form-row" },
      h("button", { type: "submit", class: "button primary", "data-key": `send-${kind}`, text: t(`ui.send.${kind === "action" ? "action" : "default"}`) }),
      status,
    )),
  );
  const submit = (event) => {
    event.preventDefault();
    const text = el.elements.text.value.trim();
    if (!text) {
      status.textContent = t("ui.compose.empty");
      el.elements.text.focus();
      return;
    }
    let details = null;
    if (kind === "action") {
      details = {};
      for (const name of ACTION_PARTS) {
        const value = el.elements[name].value.trim();
        if (value) details[name] = value;
      }
      if (!Object.keys(details).length) details = null;
    }
    // Empty the form first: sending may rebuild the area, which keeps whatever is still typed.
    el.reset();
    onSubmit(kind, text, details, status); // focus moves to the sent note
  };
  el.addEventListener("submit", submit);
  // Ctrl/Cmd+Enter sends, plain Enter makes a new line.
  el.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) submit(event);
  });
  return el;
}

function hintFor(kind) {
  return ["question", "action", "solution", "case"].includes(kind) ? `ui.hint.${kind}` : null;
}

const ACTION_PARTS = ["who", "when", "measure"];

// Text the server refused, back with its author until used or discarded. returned: {items, state, edit, discard}
function returnedCard(item, model, returned) {
  const id = `returned-${item.client_id}`;
  const step = returned.state.method.steps[item.step_index];
  const why =
    item.error === "step_moved" && step
      ? t("ui.returned.step_moved", { n: item.step_index + 1, name: pick(step.names) })
      : item.message;
  const field = h("textarea", { id, rows: 3, maxlength: 2000, "data-key": id, "aria-describedby": `${id}-why` });
  field.value = item.text;
  field.addEventListener("input", () => returned.edit(item.client_id, field.value));
  // Into this step's field for the same kind when there is one, else the first one.
  const target = model.mode === "write" ? (model.kinds.includes(item.kind) ? item.kind : model.kinds[0]) : null;
  const details = Object.entries(item.details || {}).filter(([name, value]) => ACTION_PARTS.includes(name) && value);
  const use = () => {
    const into = document.getElementById(`f-${target}-text`);
    if (!into || into.closest("fieldset").disabled) return;
    into.value = into.value.trim() ? `${into.value.trimEnd()}\n\n${field.value}` : field.value;
    for (const [name, value] of details) {
      const part = document.getElementById(`f-${target}-${name}`);
      if (part && !part.value) part.value = value;
    }
    returned.discard(item.client_id);
    document.getElementById(`f-${target}-text`)?.focus();
  };
  return h(
    "section",
    { class: "returned", "aria-labelledby": `${id}-title`, "data-returned": item.client_id },
    h("h3", { class: "returned-title", id: `${id}-title`, text: t("ui.returned.title") }),
    h("p", { class: "returned-why", id: `${id}-why`, text: `${why} ${t("ui.returned.kept")}` }),
    h("div", { class: "field" }, h("label", { for: id, text: t("ui.returned.label") }), field),
    details.length
      ? h("dl", { class: "action-details" }, details.map(([name, value]) => [h("dt", { text: t(`ui.action.${name}_short`) }), h("dd", { text: value })]))
      : null,
    h(
      "div",
      { class: "form-row" },
      target && !model.full.includes(target) && !model.waitingFor
        ? h("button", { type: "button", class: "button", "data-key": `${id}-use`, text: t("ui.returned.use"), on: { click: use } })
        : null,
      h("button", { type: "button", class: "button", "data-key": `${id}-discard`, text: t("ui.returned.discard"), on: { click: () => returned.discard(item.client_id) } }),
    ),
  );
}

// Rebuild the area only when what is allowed changed; drafts survive the rebuild.
// check(text, kind): the server's reading of a text being written (see nudge.js).
export function renderCompose(region, model, onSubmit, signature, returned = null, check = null) {
  if (region.dataset.sig === signature) return;
  region.dataset.sig = signature;
  const drafts = {};
  for (const el of region.querySelectorAll("textarea, input")) if (el.value) drafts[el.id] = el.value;
  const back = (returned?.items || []).map((item) => returnedCard(item, model, returned));
  const nodes = model.mode === "write" ? [] : back;
  if (model.mode === "listen") {
    nodes.push(
      h(
        "div",
        { class: "listen-note" },
        h("p", { class: "listen-title", text: t("ui.listen.title") }),
        h("p", { text: t(model.rule === "case_bringer_turned_away" ? "ui.listen.turned_away" : "ui.listen.body") }),
        model.kinds.length ? h("p", { text: t("ui.listen.notes") }) : null,
      ),
      model.kinds.map((kind) => form(kind, model, onSubmit, check)),
    );
  } else if (model.mode === "message") {
    nodes.push(h("p", { class: "others-note", text: t(model.key) }));
  } else if (model.mode === "stillness") {
    nodes.push(h("div", { class: "listen-note" }, h("p", { class: "listen-title", text: t("ui.stillness.title") }), h("p", { text: t("ui.stillness.body") })));
  } else if (model.mode === "others") {
    const who = model.writers.map((r) => t(`ui.role_ref.${r}`)).join(` ${t("ui.and")} `);
    nodes.push(h("p", { class: "others-note", text: t("ui.compose.others", { who }) }));
  } else if (model.mode === "write") {
    nodes.push(h("h2", { class: "section-title", id: "compose-title", text: t(model.early ? "ui.compose.early_title" : "ui.compose.title") }), ...back);
    if (model.early && !model.sent.length) nodes.push(h("p", { class: "hint", text: t("ui.compose.early_body", { n: model.early }) }));
    if (model.waitingFor) nodes.push(h("p", { class: "turn-note", text: t("ui.turn.wait", { name: model.waitingFor }) }));
    if (model.myTurn) nodes.push(h("p", { class: "turn-note", text: t("ui.turn.yours") }));
    if (model.answers) nodes.push(h("p", { class: "answer-how", text: t("ui.answer.how") }));
    // Reached the step's limit: what they sent, and what comes next.
    if (model.sent.length) nodes.push(h("div", { class: "sent" }, model.sent.map(([text, p]) => [h("p", { class: "c-text", text }), h("b", { text: t(p ? "ui.contribution.sending" : "ui.compose.sent") })]), h("p", { text: t(model.early ? "ui.compose.early_sent" : "ui.compose.next", { n: model.early }) })));
    for (const kind of model.kinds) if (!model.full.includes(kind)) nodes.push(form(kind, model, onSubmit, check));
  }
  swap(region, nodes);
  region.hidden = !nodes.length;
  for (const [id, value] of Object.entries(drafts)) {
    const el = region.querySelector(`#${CSS.escape(id)}`);
    if (el && !el.value) {
      el.value = value;
      el.dispatchEvent(new Event("input")); // read again, nudges and all
    }
  }
}
