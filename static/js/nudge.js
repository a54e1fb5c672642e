// The writing nudge: after each pause in typing the server reads the text (writing:check) and this
// shows what it found under the field, for the author alone. It never blocks: sending works as ever.
import { h, swap } from "./dom.js";
import { t } from "./i18n.js";

const PAUSE_MS = 600;

// Watch `field`; check(text, kind) resolves to the writing:check ack. Returns the box to place.
// `given`: a text not worth reading (a card as dealt); a draft kept from before is read at once.
export function nudgeBox(field, kind, check, given = "") {
  const box = h("div", { class: "nudges", "aria-live": "polite", "data-nudge": kind });
  let timer = null;
  let asked = 0;
  const read = async () => {
    const text = field.value;
    const mine = ++asked;
    const ack = text.trim() ? await check(text, kind) : null;
    if (mine !== asked || field.value !== text) return; // typed on: a newer reading comes
    if (ack?.error === "busy") return later(); // the server asked to try again a little later
    swap(box, ack?.ok ? findings(ack, field) : []);
  };
  const clear = () => {
    clearTimeout(timer);
    asked += 1;
    swap(box, []);
  };
  let hooked = false; // the field is put in its form after this runs: hook the form's reset on first use
  const later = () => {
    if (!hooked && field.form) {
      field.form.addEventListener("reset", clear);
      hooked = true;
    }
    clearTimeout(timer);
    timer = setTimeout(read, PAUSE_MS);
  };
  field.addEventListener("input", later);
  if (field.value.trim() && field.value !== given) later();
  return box;
}

// Put `text` in place of [start, end) of the field, as if typed, so the reading follows.
function put(field, start, end, text) {
  field.value = field.value.slice(0, start) + text + field.value.slice(end);
  field.dispatchEvent(new Event("input", { bubbles: true }));
  field.focus();
}

function findings(ack, field) {
  const text = field.value;
  const nodes = [];
  const coach = ack.coach;
  if (coach && coach.label !== "open") {
    const words = coach.words.map(([a, b]) => `‘${text.slice(a, b)}’`).join(", ");
    nodes.push(
      h(
        "div",
        { class: `nudge nudge-${coach.label}`, "data-label": coach.label },
        h("p", { text: t(`ui.coach.${coach.label}`) }),
        words ? h("p", { class: "nudge-words", text: t("ui.coach.words", { words }) }) : null,
        coach.suggestion
          ? h(
              "p",
              { class: "nudge-try" },
              `${t("ui.coach.try")} `,
              h("q", { text: coach.suggestion }),
              " ",
              h("button", {
                type: "button",
                class: "button small",
                text: t("ui.coach.use"),
                on: { click: () => put(field, 0, field.value.length, coach.suggestion) },
              }),
            )
          : null,
        h("p", { class: "hint", text: t("ui.coach.anyway") }),
      ),
    );
  }
  for (const hint of coach?.hints || []) nodes.push(h("p", { class: "nudge nudge-hint", text: t(`ui.coach.hint.${hint}`) }));
  if (ack.privacy?.length) {
    nodes.push(
      h(
        "div",
        { class: "nudge nudge-privacy" },
        h("p", { text: t("ui.privacy.title") }),
        h(
          "ul",
          {},
          ack.privacy.map((f) =>
            h(
              "li",
              {},
              `${t(`ui.privacy.kind.${f.kind}`)}: ‘${text.slice(f.start, f.end)}’ `,
              h("button", {
                type: "button",
                class: "button small",
                text: t("ui.privacy.replace", { replacement: f.replacement }),
                on: { click: () => field.value === text && put(field, f.start, f.end, f.replacement) },
              }),
            ),
          ),
        ),
      ),
    );
  }
  return nodes;
}
