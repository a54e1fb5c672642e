// The start page: join with a code, or set up a new session and go to the facilitator view.
import { $, h, storage } from "./dom.js";
import { getLang, setupLanguageSwitch, t } from "./i18n.js";

const local = storage();
setupLanguageSwitch({ reload: true });

function normalise(raw) {
  return raw.replace(/[\s-]/g, "").toUpperCase();
}

// --- join -------------------------------------------------------------------------------

$("#join-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("#join-status");
  const input = $("#join-code");
  const code = normalise(input.value);
  if (!code) {
    status.textContent = t("ui.home.code_missing");
    input.focus();
    return;
  }
  // Ask first, so a typo gets a friendly message instead of an error page.
  const found = await fetch(`/s/${encodeURIComponent(code)}`, { method: "HEAD" }).then((r) => r.ok, () => null);
  if (found === false) {
    status.textContent = t("ui.home.unknown");
    input.focus();
    return;
  }
  location.assign(`/s/${encodeURIComponent(code)}`);
});

// Sessions this device has a sign-in for: one tap back in.
function recent() {
  const items = [];
  for (let i = 0; i < localStorage.length; i++) {
    const match = /^intervisie:([A-Z0-9]+):token$/.exec(localStorage.key(i) || "");
    if (match) items.push(match[1]);
  }
  if (!items.length) return;
  $("#recent-list").replaceChildren(
    ...items.sort().map((code) => {
      const facilitator = local.get(`intervisie:${code}:facilitator_url`);
      return h("li", {}, h("a", { href: facilitator ? `/s/${code}/facilitator` : `/s/${code}`, text: t("ui.home.recent_item", { code }) }));
    }),
  );
  $("#recent").hidden = false;
}
try {
  recent();
} catch {
  /* storage blocked */
}

// --- create -----------------------------------------------------------------------------

const form = $("#create-form");
const OWN = "own:file"; // the radio value of a group's own uploaded method (views.OWN_METHOD)
let ownFile = null; // {name, text} of that file: the server reads it again on every use

function chosen() {
  return form.elements.method.value || form.querySelector("[name=method]")?.value;
}

// The method's own deck is chosen again whenever the method changes; only card methods show decks.
function methodDeck() {
  return form.querySelector(`[name=method][value="${CSS.escape(chosen())}"]`)?.dataset.deck || "";
}

function plan() {
  return form.querySelector(`fieldset.steps[data-method="${CSS.escape(chosen())}"]`);
}

function chosenOption() {
  return form.querySelector(`[name=method][value="${CSS.escape(chosen())}"]`)?.closest(".method-option");
}

function showSteps() {
  for (const set of form.querySelectorAll("fieldset.steps")) set.hidden = set.dataset.method !== chosen();
  const checkin = $("#checkin-cards-field");
  if (checkin) checkin.hidden = !chosenOption()?.hasAttribute("data-checkin");
  const caseRound = $("#case-round-field");
  if (caseRound) caseRound.hidden = Boolean(chosenOption()?.hasAttribute("data-case-round"));
  const review = $("#review-step-field");
  if (review) review.hidden = Boolean(chosenOption()?.hasAttribute("data-review"));
  const decks = $("#decks");
  if (decks) {
    decks.hidden = !methodDeck();
    const own = decks.querySelector(`[name=deck][value="${CSS.escape(methodDeck())}"]`);
    if (own) own.checked = true;
  }
}

function updateTotal(set) {
  let total = 0;
  for (const row of set.querySelectorAll(".step-row")) {
    if (row.querySelector("[data-use]").checked) total += Number(row.querySelector("[data-minutes]").value) || 0;
  }
  set.querySelector("[data-total]").textContent = String(total);
}

// --- the picker: what the group wants, its size, its time and its experience ---------------

const methodList = $("#methods");

function fits(option) {
  const goal = $("#pick-goal").value;
  const experience = $("#pick-experience").value;
  const size = Number($("#pick-size").value);
  const time = Number($("#pick-time").value);
  const { goals, low, high, minutes } = option.dataset;
  // A method that does not say what it suits (an older or own file) is never filtered out for it.
  if (goal && goals && !goals.split(" ").includes(goal)) return false;
  if (experience && option.dataset.experience && !option.dataset.experience.split(" ").includes(experience)) return false;
  if (size && (size < Number(low) || size > Number(high))) return false;
  return !time || Number(minutes) <= time;
}

function filterMethods() {
  const options = [...methodList.querySelectorAll(".method-option")];
  for (const option of options) option.hidden = !fits(option);
  const shown = options.filter((option) => !option.hidden);
  const filtering = ["#pick-goal", "#pick-size", "#pick-time", "#pick-experience"].some((id) => $(id).value);
  $("#pick-count").textContent = !filtering
    ? ""
    : shown.length
      ? t("ui.create.pick_count", { n: shown.length, total: options.length })
      : t("ui.create.pick_none");
  // The chosen method stays chosen while it fits; otherwise the first one that does.
  const current = methodList.querySelector("[name=method]:checked");
  if (shown.length && (!current || current.closest(".method-option").hidden)) {
    shown[0].querySelector("[name=method]").checked = true;
    showSteps();
  }
}
$("#picker").addEventListener("input", filterMethods);
$("#picker").addEventListener("change", filterMethods);

// --- tailoring: leave steps out, move them, rename them, set their minutes ------------------

// A step moves among its neighbours, never past one that keeps its place (the server checks it again).
function updateMoves(set) {
  for (const row of set.querySelectorAll(".step-row")) {
    const fixed = row.hasAttribute("data-fixed");
    for (const [button, next] of [
      [row.querySelector('[data-move="-1"]'), row.previousElementSibling],
      [row.querySelector('[data-move="1"]'), row.nextElementSibling],
    ]) {
      button.disabled = fixed || !next || next.hasAttribute("data-fixed");
    }
  }
}
for (const set of form.querySelectorAll("fieldset.steps")) updateMoves(set);
showSteps();

form.addEventListener("click", (event) => {
  const button = event.target.closest("[data-move]");
  if (!button) return;
  const row = button.closest(".step-row");
  if (Number(button.dataset.move) < 0) row.previousElementSibling.before(row);
  else row.nextElementSibling.after(row);
  updateMoves(row.closest("fieldset"));
  (button.disabled ? row.querySelector("[data-move]:not(:disabled)") || row.querySelector("[data-use]") : button).focus();
});

function usedChanged(box) {
  const row = box.closest(".step-row");
  row.classList.toggle("skipped", !box.checked);
  for (const input of row.querySelectorAll(".step-rename, [data-minutes]")) input.disabled = !box.checked;
  updateTotal(box.closest("fieldset"));
}

// The plan the server checks and keeps with the session: the steps to do, in order, named and timed.
// Null (and the focus on the field) when a minutes field is not a whole number from 1 to 180.
function readPlan(status) {
  const steps = [];
  for (const row of plan().querySelectorAll(".step-row")) {
    if (!row.querySelector("[data-use]").checked) continue;
    const minutesInput = row.querySelector("[data-minutes]");
    const minutes = Number(minutesInput.value);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 180) {
      status.textContent = t("ui.create.bad_minutes");
      minutesInput.focus();
      return null;
    }
    const name = row.querySelector(".step-rename").value.trim();
    steps.push({ step: row.dataset.step, minutes, ...(name && name !== row.querySelector(".step-rename").dataset.name ? { name } : {}) });
  }
  if (!steps.length) {
    status.textContent = t("ui.create.no_steps");
    plan().querySelector("[data-use]")?.focus();
    return null;
  }
  return steps;
}

function methodPayload(steps) {
  return { ...(chosen() === OWN ? { method_file: ownFile } : { method_id: chosen() }), plan: steps, lang: getLang() };
}

// --- the group's own method: download the tailored plan, open such a file again ------------

const ownStatus = $("#own-status");
function ownSays(text, error = false) {
  ownStatus.textContent = text;
  ownStatus.classList.toggle("form-status", error);
}

$("#own-download").addEventListener("click", async () => {
  const name = $("#own-name").value.trim();
  if (!name) {
    ownSays(t("ui.create.own_name_missing"), true);
    $("#own-name").focus();
    return;
  }
  const steps = readPlan(ownStatus);
  if (!steps) return ownStatus.classList.add("form-status");
  try {
    const response = await fetch("/api/methods/own", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ...methodPayload(steps), name }),
    });
    if (!response.ok) return ownSays((await response.json()).message, true);
    const filename = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "")?.[1] || "method.yaml";
    const link = h("a", { href: URL.createObjectURL(await response.blob()), download: filename });
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    ownSays(t("ui.create.own_saved", { file: filename }));
  } catch {
    ownSays(t("ui.conn.offline"), true);
  }
});

function fragment(html) {
  return document.createRange().createContextualFragment(html); // rendered and escaped by the server
}

$("#own-file").addEventListener("change", async () => {
  const file = $("#own-file").files[0];
  if (!file) return;
  if (file.size > 64 * 1024) return ownSays(t("ui.create.own_too_large"), true);
  ownSays(t("ui.create.busy"));
  const sent = { name: file.name, text: await file.text() };
  let checked;
  try {
    const response = await fetch("/api/methods/check", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ method_file: sent, lang: getLang() }),
    });
    checked = await response.json();
  } catch {
    return ownSays(t("ui.conn.offline"), true);
  }
  if (!checked.ok) return ownSays(checked.message, true);
  ownFile = sent;
  for (const old of form.querySelectorAll(`[data-method="${OWN}"], .method-option:has([value="${OWN}"])`)) old.remove();
  methodList.append(fragment(checked.option));
  $("#plans").append(fragment(checked.steps));
  updateMoves(plan());
  $(`#method-${CSS.escape(OWN)}`).checked = true;
  showSteps();
  filterMethods();
  ownSays(t("ui.create.own_opened", { name: checked.method.name }));
});

// A follow-up of an earlier session: its actions come from the data file downloaded then.
let followUpRecord = null;
const followFile = $("#follow-up-file");
const followStatus = $("#follow-up-status");
function useRecordFile(read) {
  followUpRecord = read?.record || null;
  followStatus.textContent = read ? read.error || read.message : "";
  followStatus.classList.toggle("form-status", Boolean(read?.error));
  $("#follow-up-clear").hidden = !read;
}
followFile.addEventListener("change", async () => {
  const file = followFile.files[0];
  if (!file) return useRecordFile(null);
  const read = await (await import("./record.js")).readRecordFile(file);
  useRecordFile(read);
  if (!read.record) return;
  // The same method and name as last time, unless chosen already.
  const radio = form.querySelector(`[name=method][value="${CSS.escape(read.method || "")}"]`);
  if (radio && !radio.checked) {
    radio.checked = true;
    showSteps();
  }
  if (read.title && !form.elements.title.value.trim()) form.elements.title.value = read.title;
});
$("#follow-up-clear").addEventListener("click", () => {
  followFile.value = "";
  useRecordFile(null);
  followFile.focus();
});

form.addEventListener("change", (event) => {
  if (event.target.name === "method") showSteps();
  if (event.target.matches("[data-use]")) usedChanged(event.target);
});
form.addEventListener("input", (event) => {
  if (event.target.matches("[data-minutes]")) updateTotal(event.target.closest("fieldset"));
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("#create-status");
  const name = form.elements.name.value.trim();
  if (!name) {
    status.textContent = t("ui.create.name_missing");
    form.elements.name.focus();
    return;
  }
  const steps = readPlan(status);
  if (!steps) return;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  status.textContent = t("ui.create.busy");
  try {
    const response = await fetch("/api/sessions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        ...methodPayload(steps),
        name,
        title: form.elements.title.value.trim(),
        auto_start_timer: form.elements.auto_start_timer.checked,
        confidentiality: form.elements.confidentiality.checked,
        checkin_cards: Boolean($("#checkin-cards-field:not([hidden]) input")?.checked),
        case_round: $("#case-round-field:not([hidden]) select")?.value || undefined,
        review_step: Boolean($("#review-step-field:not([hidden]) input")?.checked),
        follow_up_record: followUpRecord ?? undefined,
        ...(methodDeck() && $("#decks") ? { deck_id: form.elements.deck.value } : {}),
      }),
    });
    const created = await response.json();
    if (!created.ok) throw new Error(created.message);
    const code = created.code;
    const screenKey = new URL(created.screen_url).hash.slice(5);
    local.set(`intervisie:${code}:token`, created.token);
    // The facilitator link also carries the screen key, so it brings back everything on a new device.
    local.set(`intervisie:${code}:facilitator_url`, `${created.facilitator_url}&screen=${screenKey}`);
    local.set(`intervisie:${code}:screen_url`, created.screen_url);
    location.assign(`/s/${encodeURIComponent(code)}/facilitator`);
  } catch (err) {
    status.textContent = err.message && err.message !== "Failed to fetch" ? err.message : t("ui.conn.offline");
    button.disabled = false;
  }
});
