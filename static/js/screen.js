// The shared screen (projector): read-only, big and calm; it follows the facilitator.
import { breakoutsRule, screenPanel as breakoutsProgress } from "./breakouts.js";
import { h, swap } from "./dom.js";
import { pick, t } from "./i18n.js";
import { byTime, caseRoundStatus, contributionItem, currentStep, feed, waitingNote } from "./render.js";
import { formatCode } from "./facilitator.js";

const SHOWN = 12; // what fits on a projector; the newest come first

function joinPanel(state) {
  const code = state.session.code;
  const url = `${location.host}/s/${code}`;
  return h(
    "div",
    { class: "screen-join" },
    h("p", { class: "label", text: t("ui.screen.join") }),
    h("p", { class: "join-code", text: formatCode(code) }),
    h("img", { class: "qr", src: `/s/${encodeURIComponent(code)}/qr.svg`, alt: t("ui.qr_alt"), width: 168, height: 168 }),
    h("p", { class: "join-url", text: url }),
  );
}

export function renderScreen(regions, state, contributions) {
  const status = state.session.status;
  const title = state.session.title || pick(state.method.names);
  document.body.dataset.status = status;
  if (status === "lobby") {
    swap(
      regions.head,
      h("p", { class: "step-count", text: title }),
      h("h1", { class: "step-name", text: t("ui.screen.welcome") }),
      h("p", { class: "step-purpose", text: t("ui.screen.waiting") }),
    );
    const code = state.session.code;
    swap(
      regions.body,
      h(
        "div",
        { class: "screen-lobby" },
        h(
          "div",
          { class: "lobby-text" },
          h("p", { class: "label", text: t("ui.screen.join") }),
          h("p", { class: "join-url", text: `${location.host}/s/${code}` }),
          h("p", { class: "join-code", text: formatCode(code) }),
          h("h2", { class: "section-title", text: t("ui.screen.joined", { n: state.participants.length }) }),
          h("ul", { class: "chips big" }, state.participants.map((p) => h("li", { class: "chip", text: p.name }))),
        ),
        h("img", { class: "qr", src: `/s/${encodeURIComponent(code)}/qr.svg`, alt: t("ui.qr_alt"), width: 400, height: 400 }),
      ),
    );
    swap(regions.side);
    delete regions.side.dataset.code;
    return;
  }
  if (status === "ended") {
    swap(
      regions.head,
      h("p", { class: "step-count", text: title }),
      h("h1", { class: "step-name", text: t("ui.ended.title") }),
      h("p", { class: "step-purpose", text: t("ui.screen.thanks") }),
    );
    swap(regions.body);
    swap(regions.side);
    delete regions.side.dataset.code;
    return;
  }
  const step = currentStep(state);
  const index = state.session.step_index;
  swap(
    regions.head,
    h("p", { class: "step-count", text: t("ui.step.count", { n: index + 1, total: state.method.steps.length }) }),
    h("h1", { class: "step-name", text: pick(step.names) }),
    h("p", { class: "step-purpose", text: pick(step.purpose) }),
  );
  const items = contributions.filter((c) => c.step_index === index && !c.hidden).sort(byTime).reverse();
  // The facilitator may put one contribution large on the screen, and the step's instructions.
  const spot = contributions.find((c) => c.id === state.screen?.spotlight && !c.hidden);
  const shown = items.filter((c) => c !== spot).slice(0, spot ? SHOWN / 2 : SHOWN);
  const ctx = { state, me: null, showKind: new Set(items.map((c) => c.kind)).size > 1 };
  swap(
    regions.body,
    waitingNote(state),
    caseRoundStatus(state), // "2 of 5 have voted": the room sees whom it is waiting for
    breakoutsProgress(state), // each breakout group's round and phase; what they write stays in the group
    state.screen?.instructions
      ? h("section", { class: "screen-instructions" }, h("h2", { class: "section-title", text: t("ui.step.how") }), h("p", { text: pick(step.instructions) }))
      : null,
    spot
      ? h("section", { class: "spotlight", "aria-label": t("ui.screen.spotlight") }, h("ol", { class: "feed" }, contributionItem(spot, { ...ctx, showKind: true })))
      : null,
    // In a breakouts step the screen shows progress only: it promises no texts.
    shown.length || !spot ? feed(shown, ctx, breakoutsRule(state) ? "ui.breakouts.screen_empty" : "ui.screen.empty") : null,
    items.length > shown.length + (spot ? 1 : 0) ? h("p", { class: "more", text: t("ui.screen.more", { n: items.length - shown.length - (spot ? 1 : 0) }) }) : null,
  );
  // Only redraw the join panel when it changes: no QR flicker on every update.
  if (regions.side.dataset.code !== state.session.code) {
    swap(regions.side, joinPanel(state));
    regions.side.dataset.code = state.session.code;
  }
}
