// Breakout groups (a step's `breakouts` rule, docs/methods.md): each member sees their group, whose
// round it is, the phase and the group's own countdown; the facilitator sees every group and moves any on.
import { h } from "./dom.js";
import { pick, t } from "./i18n.js";
import { currentStep, feed, byTime, personName } from "./render.js";
import { format, remainingMs } from "./timer.js";

// The current step's breakouts rule, when the groups meet now.
export function breakoutsRule(state) {
  if (state.session.status !== "running" || !state.breakouts) return null;
  return currentStep(state).rules.find((r) => r.type === "breakouts") || null;
}

export function groupOf(state, id) {
  return state.breakouts?.groups.find((g) => g.members.includes(id)) || null;
}

// What this person may write now in their group, as compose.js's model.
export function composeModel(state, me, rule) {
  const group = groupOf(state, me.id);
  if (!group) return { mode: "message", key: me.role === "facilitator" ? "ui.breakouts.feed_all" : "ui.breakouts.not_in_group" };
  if (group.done) return { mode: "message", key: "ui.breakouts.done" };
  const phase = rule.phases[group.phase];
  const client = group.client_id === me.id;
  const step = state.session.step_index;
  if (client && phase.turned_away) {
    return { mode: "listen", rule: "case_bringer_turned_away", step, kinds: ["note"], full: [], sent: [] };
  }
  const kinds = client ? phase.client : phase.consultants;
  if (!kinds.length) return { mode: "message", key: "ui.breakouts.nothing_to_write" };
  return { mode: "write", step, kinds, answers: false, waitingFor: null, myTurn: false, full: [], sent: [] };
}

// One group's countdown, kept up to date every second (tick below).
function countdown(group) {
  tick();
  return h("span", {
    class: "group-timer",
    "data-group-timer": group.id,
    "data-timer": JSON.stringify(group.timer),
    text: group.done ? "" : format(remainingMs(group.timer)),
  });
}

function position(state, rule, group) {
  if (group.done) return [h("p", { class: "group-phase", text: t("ui.breakouts.done") })];
  const phase = rule.phases[group.phase];
  return [
    h("p", { class: "group-round", text: t("ui.breakouts.round", { round: group.round + 1, rounds: group.rounds }) }),
    h("p", { class: "group-phase" }, h("b", { text: pick(phase.names) }), " ", countdown(group)),
    h("p", { class: "group-client", text: t("ui.breakouts.client", { name: personName(state, group.client_id) }) }),
  ];
}

function moveOnButton(group, label, onMoveOn) {
  if (group.done) return null;
  return h("button", {
    type: "button",
    class: "button",
    "data-key": `breakout-next-${group.id}`,
    text: label,
    on: { click: () => onMoveOn(group) },
  });
}

// The panel above the writing area. ctx: {state, me, contributions, feedCtx, onMoveOn}
export function panel(ctx) {
  const { state, me } = ctx;
  const rule = breakoutsRule(state);
  if (!rule || !me) return null;
  if (me.role === "facilitator") return facilitatorPanel(ctx, rule);
  const group = groupOf(state, me.id);
  if (!group) return h("p", { class: "hint", text: t("ui.breakouts.not_in_group") });
  const client = group.client_id === me.id;
  const phase = group.done ? null : rule.phases[group.phase];
  const others = group.members.filter((id) => id !== me.id).map((id) => personName(state, id));
  let part = null;
  if (!group.done) {
    part = client
      ? t(phase.turned_away ? "ui.breakouts.turned_away" : "ui.breakouts.you_client")
      : t("ui.breakouts.you_consultant", { name: personName(state, group.client_id) });
  }
  return h(
    "section",
    { class: "breakout-group", "aria-labelledby": "breakout-title", "data-group": group.number },
    h("h2", { class: "section-title", id: "breakout-title", text: t("ui.breakouts.group", { number: group.number }) }),
    h("p", { class: "group-members", text: others.join(", ") }),
    position(state, rule, group),
    part ? h("p", { class: `group-part${client && phase.turned_away ? " turned-away" : ""}`, role: "status", text: part }) : null,
    client ? moveOnButton(group, t("ui.breakouts.next"), ctx.onMoveOn) : null,
  );
}

function facilitatorPanel(ctx, rule) {
  const { state } = ctx;
  const index = state.session.step_index;
  return h(
    "section",
    { class: "breakout-groups", "aria-label": t("ui.breakouts.label") },
    h("h2", { class: "section-title", text: t("ui.breakouts.label") }),
    state.breakouts.groups.map((group) => {
      const items = ctx.contributions.filter((c) => c.group_id === group.id && c.step_index === index).sort(byTime);
      return h(
        "article",
        { class: "breakout-group", "data-group": group.number },
        h("h3", { text: t("ui.breakouts.group", { number: group.number }) }),
        h("p", { class: "group-members", text: group.members.map((id) => personName(state, id)).join(", ") }),
        position(state, rule, group),
        moveOnButton(group, t("ui.breakouts.next_group", { number: group.number }), ctx.onMoveOn),
        h("h4", { class: "group-feed-title", text: t("ui.breakouts.feed", { number: group.number }) }),
        feed(items, { ...ctx.feedCtx, onSpotlight: null }, "ui.breakouts.feed_empty"), // a group's writing never goes on the screen
      );
    }),
  );
}

// The shared screen: each group's progress, never what it wrote.
export function screenPanel(state) {
  const rule = breakoutsRule(state);
  if (!rule) return null;
  return h(
    "ul",
    { class: "breakout-progress", "aria-label": t("ui.breakouts.label") },
    state.breakouts.groups.map((group) =>
      h("li", { class: "breakout-group", "data-group": group.number }, h("b", { text: t("ui.breakouts.group", { number: group.number }) }), position(state, rule, group)),
    ),
  );
}

// Every second: the groups' countdowns on the page.
let ticking = null;
function tick() {
  if (ticking) return;
  ticking = setInterval(() => {
    for (const el of document.querySelectorAll("[data-group-timer]")) {
      el.textContent = format(remainingMs(JSON.parse(el.dataset.timer)));
    }
  }, 1000);
}
