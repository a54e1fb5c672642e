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

function chosen() {
  return form.elements.method.value || form.querySelector("[name=method]")?.value;
}

// The method's own deck is chosen again whenever the method changes; only card methods show decks.
function methodDeck() {
  return form.querySelector(`[name=method][value="${CSS.escape(chosen())}"]`)?.dataset.deck || "";
}

function showSteps() {
  for (const set of form.querySelectorAll("fieldset.steps")) set.hidden = set.dataset.method !== chosen();
  const decks = $("#decks");
  if (decks) {
    decks.hidden = !methodDeck();
    const own = decks.querySelector(`[name=deck][value="${CSS.escape(methodDeck())}"]`);
    if (own) own.checked = true;
  }
}

function updateTotal(set) {
  let total = 0;
  for (const input of set.querySelectorAll("input[data-step]")) total += Number(input.value) || 0;
  set.querySelector("[data-total]").textContent = String(total);
}

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
});
form.addEventListener("input", (event) => {
  if (event.target.dataset.step) updateTotal(event.target.closest("fieldset"));
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
  const methodId = chosen();
  const set = form.querySelector(`fieldset.steps[data-method="${CSS.escape(methodId)}"]`);
  const stepMinutes = {};
  for (const input of set.querySelectorAll("input[data-step]")) {
    const minutes = Number(input.value);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 180) {
      status.textContent = t("ui.create.bad_minutes");
      input.focus();
      return;
    }
    // Only what changed: the method's own defaults stay the method's.
    if (minutes !== Number(input.dataset.default)) stepMinutes[input.dataset.step] = minutes;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  status.textContent = t("ui.create.busy");
  try {
    const response = await fetch("/api/sessions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        method_id: methodId,
        name,
        title: form.elements.title.value.trim(),
        lang: getLang(),
        step_minutes: stepMinutes,
        auto_start_timer: form.elements.auto_start_timer.checked,
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
