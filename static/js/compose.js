// The writing area: one small form per kind this person may add in the current step.
import { h, swap } from "./dom.js";
import { t } from "./i18n.js";
import { LISTEN_RULES, currentStep, personName } from "./render.js";

// What the person may do now, as plain data: the area is only rebuilt when this changes.
export function composeModel(state, me, mine) {
  const step = currentStep(state);
  const status = state.session.status;
  if (status !== "running" || !me) return { mode: "none" };
  const listenRule = step.rules.find((r) => LISTEN_RULES.includes(r.type));
  if (me.role === "case_bringer" && listenRule) return { mode: "listen", rule: listenRule.type };
  const kinds = Object.entries(step.contribute)
    .filter(([, roles]) => roles.includes(me.role))
    .map(([kind]) => kind);
  if (!kinds.length) {
    const writers = [...new Set(Object.values(step.contribute).flat())];
    return { mode: "others", writers };
  }
  const turnRule = step.rules.find((r) => r.type === "turn_order");
  let waitingFor = null;
  let myTurn = false;
  if (turnRule && state.turn && turnRule.roles.includes(me.role)) {
    const speaker = state.turn.order[state.turn.index];
    if (speaker !== me.id) waitingFor = personName(state, speaker);
    else myTurn = true;
  }
  const full = [];
  for (const cap of step.rules.filter((r) => r.type === "max_per_person")) {
    const used = mine.filter((c) => !cap.kind || c.kind === cap.kind).length;
    if (used >= cap.count) full.push(...(cap.kind ? [cap.kind] : kinds));
  }
  return { mode: "write", step: state.session.step_index, kinds, waitingFor, myTurn, full: [...new Set(full)].sort() };
}

function field(kind, name, labelKey, { multiline = false, hintKey = null } = {}) {
  const id = `f-${kind}-${name}`;
  const hint = hintKey ? h("p", { class: "hint", id: `${id}-hint`, text: t(hintKey) }) : null;
  const control = multiline
    ? h("textarea", { id, name, rows: 3, maxlength: 2000, "data-key": id, "aria-describedby": hint ? `${id}-hint` : null })
    : h("input", { id, name, type: "text", maxlength: 200, "data-key": id, autocomplete: "off" });
  return h("div", { class: "field" }, h("label", { for: id, text: t(labelKey) }), hint, control);
}

function form(kind, model, onSubmit) {
  const disabled = model.full.includes(kind) || Boolean(model.waitingFor);
  const status = h("p", { class: "form-status", role: "status", "data-status": kind });
  const fields = [field(kind, "text", `ui.input.${kind}`, { multiline: true, hintKey: hintFor(kind) })];
  if (kind === "action") {
    // What is the text; who, by when and how you will know are the optional rest of a SMART action.
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
  if (model.full.includes(kind)) status.textContent = t("ui.compose.limit");
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
      for (const name of ["who", "when", "measure"]) {
        const value = el.elements[name].value.trim();
        if (value) details[name] = value;
      }
      if (!Object.keys(details).length) details = null;
    }
    // Empty the form first: sending may rebuild the area, which keeps whatever is still typed.
    const area = el.closest("[data-region]");
    el.reset();
    onSubmit(kind, text, details, status);
    const field = area?.querySelector(`#f-${kind}-text`);
    if (field && !field.closest("fieldset").disabled) field.focus();
    else document.getElementById("feed-title")?.focus(); // nothing more to write here: see the result
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

// Rebuild the area only when what is allowed changed; drafts survive the rebuild.
export function renderCompose(region, model, onSubmit, signature) {
  if (region.dataset.sig === signature) return;
  region.dataset.sig = signature;
  const drafts = {};
  for (const el of region.querySelectorAll("textarea, input")) if (el.value) drafts[el.id] = el.value;
  const nodes = [];
  if (model.mode === "listen") {
    nodes.push(
      h(
        "div",
        { class: "listen-note" },
        h("p", { class: "listen-title", text: t("ui.listen.title") }),
        h("p", { text: t(model.rule === "case_bringer_turned_away" ? "ui.listen.turned_away" : "ui.listen.body") }),
      ),
    );
  } else if (model.mode === "others") {
    const who = model.writers.map((r) => t(`ui.role_ref.${r}`)).join(` ${t("ui.and")} `);
    nodes.push(h("p", { class: "others-note", text: t("ui.compose.others", { who }) }));
  } else if (model.mode === "write") {
    nodes.push(h("h2", { class: "section-title", id: "compose-title", text: t("ui.compose.title") }));
    if (model.waitingFor) nodes.push(h("p", { class: "turn-note", text: t("ui.turn.wait", { name: model.waitingFor }) }));
    if (model.myTurn) nodes.push(h("p", { class: "turn-note", text: t("ui.turn.yours") }));
    for (const kind of model.kinds) nodes.push(form(kind, model, onSubmit));
  }
  swap(region, nodes);
  region.hidden = !nodes.length;
  for (const [id, value] of Object.entries(drafts)) {
    const el = region.querySelector(`#${CSS.escape(id)}`);
    if (el && !el.value) el.value = value;
  }
}
