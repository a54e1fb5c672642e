// Building blocks shared by the participant, facilitator and screen views.
import { h, keyed, swap } from "./dom.js";
import { pick, t } from "./i18n.js";
import { clock } from "./timer.js";

export const LISTEN_RULES = ["case_bringer_listens", "case_bringer_turned_away"];
const SIMPLE_RULES = [...LISTEN_RULES, "open_questions", "write_privately", "reveal_together", "stillness"];

export function currentStep(state) {
  return state.method.steps[state.session.step_index];
}

// Whether the method splits the group into breakout groups: each member is a round's client then,
// and the session has no case bringer (the server's Method.has_breakouts).
export function hasBreakouts(state) {
  return state.method.steps.some((s) => s.rules.some((r) => r.type === "breakouts"));
}

export function personName(state, id) {
  return state.participants.find((p) => p.id === id)?.name ?? "";
}

function capitalise(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

function list(items) {
  if (items.length < 2) return items.join("");
  return `${items.slice(0, -1).join(", ")} ${t("ui.and")} ${items.at(-1)}`;
}

function roleRefs(roles) {
  return list(roles.map((r) => t(`ui.role_ref.${r}`)));
}

// The rules for this reader now: on writing only for who writes; on listening not for the listener
// (their note says it) nor when the instructions say it.
export function ruleTexts(state, me) {
  const step = currentStep(state);
  const texts = [];
  const marks = new Map();
  const writes = (kind) => !me || Object.entries(step.contribute).some(([k, roles]) => (!kind || k === kind) && roles.includes(me.role));
  for (const rule of step.rules) {
    const listen = LISTEN_RULES.includes(rule.type);
    const forAll = ["marks", "stillness", "loop_back", "case_round", "breakouts"].includes(rule.type);
    if (listen ? me?.role === "case_bringer" : !forAll && !writes(rule.type === "open_questions" ? "question" : rule.kind)) continue;
    if (rule.type === "max_per_person") {
      texts.push(
        rule.kind
          ? t("ui.rule.max_per_person_kind", { count: rule.count, kinds: t(`ui.kinds.${rule.kind}`) })
          : t("ui.rule.max_per_person", { count: rule.count }),
      );
    } else if (rule.type === "marks") {
      // One sentence per (who, values): "marks the questions, causes and solutions: keep".
      const id = `${rule.by}|${rule.values}`;
      if (marks.has(id)) {
        marks.get(id).kinds.push(rule.kind);
        continue;
      }
      const entry = { rule, kinds: [rule.kind], at: texts.length };
      marks.set(id, entry);
      texts.push(entry);
    } else if (rule.type === "turn_order") {
      texts.push(t(rule.auto_pass ? "ui.rule.turn_order_auto" : "ui.rule.turn_order", { seconds: rule.seconds_per_speaker }));
    } else if (rule.type === "case_round") {
      texts.push(t(`ui.rule.case_round_${rule.vote}`));
    } else if (rule.type === "breakouts") {
      texts.push(t("ui.rule.breakouts", { size: rule.size }));
    } else if (rule.type === "loop_back") {
      const back = state.method.steps.find((s) => s.id === rule.to);
      texts.push(t("ui.rule.loop_back", { name: pick(back.names) }));
    } else if (SIMPLE_RULES.includes(rule.type) && !pick(step.instructions).includes(t(`ui.rule.${rule.type}`))) {
      texts.push(t(`ui.rule.${rule.type}`));
    } // unknown rule types are left out
  }
  return texts.map((item) => {
    if (typeof item === "string") return item;
    const values = list(item.rule.values.map((v) => t(`ui.mark.${v}`).toLowerCase()));
    const kinds = list(item.kinds.map((k) => t(`ui.kinds.${k}`)));
    return t("ui.rule.marks", { who: capitalise(roleRefs(item.rule.by)), kinds, values });
  });
}

export function stepHead(state, me) {
  const step = currentStep(state);
  const index = state.session.step_index;
  return [
    h("p", { class: "step-count", text: t("ui.step.count", { n: index + 1, total: state.method.steps.length }) }),
    h("h1", { class: "step-name", id: "step-name", tabindex: "-1", text: pick(step.names) }),
    h("p", { class: "step-purpose", text: pick(step.purpose) }),
    me ? h("p", { class: `role-badge role-${me.role}`, text: t(`ui.you_are.${me.role}`) }) : null,
  ];
}

export function guide(state, me) {
  const step = currentStep(state);
  const rules = ruleTexts(state, me);
  return [
    h("h2", { class: "section-title", text: t("ui.step.how") }),
    h("p", { class: "instructions", text: pick(step.instructions) }),
    rules.length
      ? h("ul", { class: "rules", "aria-label": t("ui.step.rules") }, rules.map((r) => h("li", { text: r })))
      : null,
    caseRoundStatus(state),
  ];
}

export function houseRules(state, open = false) {
  const items = pick(state.method.house_rules) || [];
  if (!items.length) return null;
  return h(
    "details",
    { class: "house-rules", open },
    h("summary", { text: t("ui.house_rules") }),
    h("ul", {}, items.map((r) => h("li", { text: r }))),
  );
}

// The current step's mark rules for this kind; a step may also mark what earlier steps produced.
function markRules(state, c) {
  if (state.session.status !== "running" || c.step_index > state.session.step_index) return [];
  return currentStep(state).rules.filter((r) => r.type === "marks" && r.kind === c.kind);
}

// Marks as small labels; the marks this person can toggle show on their buttons instead.
function markChips(c, skipBy) {
  const counts = new Map();
  for (const m of c.marks || []) if (m.by !== skipBy) counts.set(m.value, (counts.get(m.value) || 0) + 1);
  if (!counts.size) return null;
  return h(
    "ul",
    { class: "chips", "aria-label": t("ui.marks.label") },
    [...counts].map(([value, n]) =>
      h("li", { class: `chip mark-${value}`, text: n > 1 ? `${t(`ui.marked.${value}`)} ×${n}` : t(`ui.marked.${value}`) }),
    ),
  );
}

function actionDetails(details) {
  if (!details) return null;
  const rows = ["who", "when", "measure"].filter((k) => details[k]);
  if (!rows.length) return null;
  return h(
    "dl",
    { class: "action-details" },
    rows.map((k) => [h("dt", { text: t(`ui.action.${k}_short`) }), h("dd", { text: details[k] })]),
  );
}

// Answers under their question: question id -> its answers, oldest first (every question has an entry).
export function threads(contributions) {
  const map = new Map(contributions.filter((c) => c.kind === "question").map((c) => [c.id, []]));
  for (const c of [...contributions].sort(byTime)) if (c.reply_to && map.has(c.reply_to)) map.get(c.reply_to).push(c);
  return map;
}

// A question waits for answers when its step lets the case bringer answer (as session.answerable).
function answerable(state, c) {
  return c.kind === "question" && "answer" in (state.method.steps[c.step_index]?.contribute || {});
}

// Whether this person may answer now: the current step lets their role answer, and they are not listening.
function mayAnswer(state, me) {
  const step = currentStep(state);
  const listens = step.rules.some((r) => LISTEN_RULES.includes(r.type));
  return state.session.status === "running" && !!step.contribute.answer?.includes(me?.role) && !(listens && me.role === "case_bringer");
}

const answering = new Map(); // question id -> the answer being typed under it (kept across renders)

// The answer box under a question; ctx.onAnswer(question, text) sends it, ctx.refresh() redraws.
function answerForm(c, ctx) {
  const id = `answer-${c.id}`;
  const field = h("textarea", { id, rows: 2, maxlength: 2000, "data-key": id, "aria-describedby": `q-${c.id}`, value: answering.get(c.id) });
  field.addEventListener("input", () => answering.set(c.id, field.value));
  const status = h("p", { class: "form-status", role: "status" });
  const close = () => {
    answering.delete(c.id);
    ctx.refresh();
    document.querySelector(`[data-key="answer:${c.id}"]`)?.focus();
  };
  const form = h(
    "form",
    { class: "answer-form", novalidate: true },
    h("div", { class: "field" }, h("label", { for: id, text: t("ui.input.answer") }), field),
    h(
      "div",
      { class: "form-row" },
      h("button", { type: "submit", class: "button primary", "data-key": `${id}-send`, text: t("ui.answer.send") }),
      h("button", { type: "button", class: "button", "data-key": `${id}-cancel`, text: t("ui.answer.cancel"), on: { click: close } }),
      status,
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = field.value.trim();
    if (!text) {
      status.textContent = t("ui.compose.empty");
      field.focus();
      return;
    }
    answering.delete(c.id);
    ctx.onAnswer(c, text);
  });
  return form;
}

// A question's answers, its 'not answered yet' note, and (for who may answer now) the way to answer it.
function answerParts(c, ctx) {
  const { state, me } = ctx;
  const replies = c.kind === "question" ? ctx.answers?.get(c.id) : null;
  if (!replies) return { note: null, parts: null };
  const ended = state.session.status === "ended";
  const note = !replies.length && answerable(state, c) ? h("span", { class: "unanswered", text: t(ended ? "ui.answer.unanswered_final" : "ui.answer.unanswered") }) : null;
  let answer = null;
  if (ctx.onAnswer && !c.pending && !c.hidden && mayAnswer(state, me)) {
    answer = answering.has(c.id)
      ? answerForm(c, ctx)
      : h("button", {
          type: "button",
          class: "button answer-button",
          "data-key": `answer:${c.id}`,
          text: t("ui.answer.button"),
          on: {
            click: () => {
              answering.set(c.id, "");
              ctx.refresh();
              document.getElementById(`answer-${c.id}`)?.focus();
            },
          },
        });
  }
  const list = replies.length
    ? h("ol", { class: "answers", "aria-label": t("ui.answer.list") }, replies.map((a) => contributionItem(a, { ...ctx, showKind: true })))
    : null;
  return { note, parts: [list, answer] };
}

// One contribution. ctx: {state, me, onMark, onHide, showKind, quadrant, answers, onAnswer, refresh};
// quadrant(c) labels a played card; answers (see threads) puts answers under their question.
export function contributionItem(c, ctx) {
  const { state, me } = ctx;
  const mine = me && c.author_id === me.id;
  const canHide = ctx.onHide && me?.role === "facilitator";
  const markButtons = [];
  if (me && ctx.onMark) {
    for (const rule of markRules(state, c)) {
      if (!rule.by.includes(me.role)) continue;
      for (const value of rule.values) {
        const on = (c.marks || []).some((m) => m.by === me.id && m.value === value);
        markButtons.push(
          h("button", {
            type: "button",
            class: `mark-button mark-${value}`,
            "aria-pressed": String(on),
            "data-key": `mark:${c.id}:${value}`,
            text: t(`ui.mark.${value}`),
            on: { click: () => ctx.onMark(c, value, !on) },
          }),
        );
      }
    }
  }
  const thread = answerParts(c, ctx);
  const round = caseRoundParts(c, ctx);
  const meta = [
    ctx.showKind ? h("span", { class: `kind kind-${c.kind}`, text: t(`ui.kind.${c.kind}`) }) : null,
    ctx.quadrant && c.details?.quadrant ? ctx.quadrant(c) : null,
    h("span", { class: "author", text: mine ? t("ui.contribution.you", { name: c.author_name }) : c.author_name }),
    c.entered_by ? h("span", { class: "entered-by", text: t("ui.contribution.entered_by", { name: c.entered_by }) }) : null,
    c.hidden ? h("span", { class: "hidden-note", text: t("ui.fac.hidden") }) : null,
    c.kind === "note" ? h("span", { class: "hidden-note", text: t("ui.note.private") }) : null,
    !mine && c.flag ? h("span", { class: "flag-note", text: t(c.flag === "advice_question" ? "ui.fac.flag_advice" : "ui.fac.flag_closed") }) : null,
    c.pending ? h("span", { class: "pending-note", text: t(c.offline ? "ui.contribution.waiting" : "ui.contribution.sending") }) : null,
    thread.note,
  ];
  return h(
    "li",
    {
      class: `contribution kind-${c.kind}${mine ? " mine" : ""}${c.hidden ? " is-hidden" : ""}${c.pending ? " is-pending" : ""}`,
      "data-id": c.client_id || c.id,
      tabindex: mine ? "-1" : null, // focus lands here once it is sent
    },
    h("p", { class: "c-text", id: c.kind === "question" ? `q-${c.id}` : null, text: c.text }),
    actionDetails(c.details),
    h("p", { class: "c-meta" }, meta),
    mine && c.flag ? h("p", { class: "nudge", text: t(`ui.nudge.${c.flag}`) }) : null,
    markChips(c, markButtons.length ? me.id : null),
    round,
    markButtons.length
      ? h("div", { class: "mark-buttons", role: "group", "aria-label": t("ui.marks.give") }, markButtons)
      : null,
    ctx.onSpotlight && !c.hidden && !c.pending
      ? h("button", {
          type: "button",
          class: "link-button",
          "aria-pressed": String(state.screen?.spotlight === c.id),
          "data-key": `spotlight:${c.id}`,
          text: t(state.screen?.spotlight === c.id ? "ui.fac.spotlight_on" : "ui.fac.spotlight"),
          on: { click: () => ctx.onSpotlight(c, state.screen?.spotlight !== c.id) },
        })
      : null,
    canHide
      ? h("button", {
          type: "button",
          class: "link-button",
          "data-key": `hide:${c.id}`,
          text: c.hidden ? t("ui.fac.unhide") : t("ui.fac.hide"),
          on: { click: () => ctx.onHide(c, !c.hidden) },
        })
      : null,
    thread.parts,
  );
}

export function byTime(a, b) {
  return (a.created_at_ms ?? Infinity) - (b.created_at_ms ?? Infinity);
}

// A list of contributions; an answer whose question is known (ctx.answers, else these items) goes under it.
export function feed(items, ctx, emptyKey = "ui.feed.empty") {
  const answers = ctx.answers || threads(items);
  const top = items.filter((c) => !(c.reply_to && answers.has(c.reply_to)));
  if (!top.length) return h("p", { class: "empty", text: t(emptyKey) });
  const kinds = new Set(top.map((c) => c.kind));
  const itemCtx = { ...ctx, answers, showKind: ctx.showKind ?? kinds.size > 1 };
  return h("ol", { class: "feed" }, top.map((c) => contributionItem(c, itemCtx)));
}

// In a case round: a pitch's votes (once all voted), whether it was chosen, and the buttons to vote for
// it (ctx.onVote, ctx.myVote) or, for the facilitator, to choose it (ctx.onChoose).
function caseRound(state) {
  const round = state.case_round;
  const open = round && state.session.status === "running" && !round.chosen && currentStep(state).rules.find((r) => r.type === "case_round");
  return { round, open };
}

function caseRoundParts(c, ctx) {
  const { round, open } = caseRound(ctx.state);
  if (c.kind !== "case_proposal" || !round) return null;
  const votes = round.tally?.[c.id] || 0;
  const chips = [
    round.chosen === c.id ? h("li", { class: "chip case-chosen", text: t("ui.case_round.chosen") }) : null,
    round.tally ? h("li", { class: "chip", text: t(votes === 1 ? "ui.case_round.votes_one" : "ui.case_round.votes", { n: votes }) }) : null,
  ].filter(Boolean);
  const buttons = [];
  if (open && open.vote === "hidden" && !round.tally && ctx.onVote && !c.pending) { // votes are final once shown
    const on = ctx.myVote === c.id;
    buttons.push(
      h("button", {
        type: "button",
        class: "mark-button",
        "aria-pressed": String(on),
        "data-key": `vote:${c.id}:${on}`,
        text: t(on ? "ui.case_round.my_vote" : "ui.case_round.vote"),
        on: { click: () => on || ctx.onVote(c) },
      }),
    );
  }
  if (open && ctx.onChoose && !c.pending) {
    buttons.push(
      h("button", { type: "button", class: "link-button", "data-key": `choose:${c.id}`, text: t("ui.case_round.choose"), on: { click: () => ctx.onChoose(c) } }),
    );
  }
  return [
    chips.length ? h("ul", { class: "chips", "aria-label": t("ui.case_round.label") }, chips) : null,
    buttons.length ? h("div", { class: "mark-buttons", role: "group", "aria-label": t("ui.case_round.label") }, buttons) : null,
  ];
}

// How far the case round's vote is, said to everyone in the step.
export function caseRoundStatus(state) {
  const { round, open } = caseRound(state);
  if (!open) return null;
  const text =
    open.vote !== "hidden" ? t("ui.case_round.facilitator_decides")
    : round.tally ? t("ui.case_round.tie") // everyone voted, no winner: the facilitator chooses
    : t("ui.case_round.voted", { n: round.voted, total: round.voters });
  return h("p", { class: "case-round-status", role: "status", text });
}

// Earlier steps, folded unless they have marks to give now or, at the end, takeaways and actions.
export function history(state, contributions, ctx, { all = false } = {}) {
  const markable = new Set(
    state.session.status === "running" && ctx.me
      ? currentStep(state).rules.filter((r) => r.type === "marks" && r.by.includes(ctx.me.role)).map((r) => r.kind)
      : [],
  );
  if (caseRound(state).open) markable.add("case_proposal"); // the pitches to vote for
  const highlight = all ? new Set(["takeaway", "action"]) : markable;
  const current = state.session.step_index;
  const steps = state.method.steps
    .map((step, index) => ({ step, index }))
    .filter(({ index }) => (all ? true : index < current));
  if (!steps.length) return null;
  return [
    h("h2", { class: "section-title", text: all ? t("ui.history.record") : t("ui.history.title") }),
    steps.map(({ step, index }) => {
      const items = contributions.filter((c) => c.step_index === index).sort(byTime);
      return h(
        "details",
        { class: "history-step", open: items.some((c) => highlight.has(c.kind)), "data-step": index },
        h(
          "summary",
          { "data-key": `history:${index}:${current}:${state.session.status}` },
          h("span", { text: `${index + 1}. ${pick(step.names)}` }),
          h("span", { class: "count", text: t(items.length === 1 ? "ui.history.count_one" : "ui.history.count", { n: items.length }) }),
        ),
        h("div", { class: "history-feed" }, feed(items, ctx, "ui.feed.none")),
      );
    }),
  ];
}

// The history updated in place: each fold keeps its node and open state, its list is a keyed diff.
export function renderHistory(region, state, contributions, ctx, options) {
  const nodes = history(state, contributions, ctx, options);
  const folds = nodes ? nodes[1] : [];
  const old = [...region.querySelectorAll(":scope > details.history-step")];
  const same =
    nodes && region.firstChild?.textContent === nodes[0].textContent && old.length === folds.length && old.every((d, i) => d.firstChild.dataset.key === folds[i].firstChild.dataset.key);
  if (!same) return swap(region, nodes);
  old.forEach((fold, i) => {
    fold.firstChild.replaceChildren(...folds[i].firstChild.childNodes);
    keyed(fold.querySelector(":scope > .history-feed"), folds[i].querySelector(".history-feed").firstChild);
  });
}

// How long ago (m:ss, or h:mm:ss) a moment in the server's epoch ms was; kept current by tickSince.
function since(ms) {
  const s = Math.max(0, Math.floor((clock.now() - ms) / 1000));
  const parts = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60].map((n) => String(n).padStart(2, "0"));
  return s < 3600 ? `${Number(parts[1])}:${parts[2]}` : `${Number(parts[0])}:${parts[1]}:${parts[2]}`;
}

export function tickSince(root = document) {
  for (const el of root.querySelectorAll("[data-since]")) el.textContent = since(Number(el.dataset.since));
}

// "Waiting for Fien (2:13)": a key person is away; the timer stands still for them when `paused`.
export function waitingNote(state, action = null) {
  const waiting = state.session.status === "running" ? state.waiting : null;
  if (!waiting) return null;
  const names = waiting.people.map((p) => p.name);
  return h(
    "section",
    { class: "card waiting" },
    h("h2", { class: "section-title", text: t("ui.waiting.for", { names: list(names) }) }),
    h(
      "ul",
      { class: "waiting-people" },
      waiting.people.map((p) =>
        h("li", {}, p.since_ms ? [`${p.name} · `, h("span", { class: "since", "data-since": p.since_ms, text: since(p.since_ms) })] : p.name),
      ),
    ),
    h("p", { class: "hint", text: t(waiting.paused ? "ui.waiting.paused" : "ui.waiting.not_paused") }),
    action,
  );
}

export function presenceLabel(p) {
  return p.presence === "online" ? t("ui.presence.online") : t("ui.presence.away");
}

export function peopleList(state, me, { extra } = {}) {
  return h(
    "ul",
    { class: "people" },
    state.participants.map((p) =>
      h(
        "li",
        { class: `person presence-${p.presence}` },
        h("span", { class: "dot", "aria-hidden": "true" }),
        h(
          "span",
          { class: "person-name" },
          h("span", { text: p.name }),
          me && p.id === me.id ? h("span", { class: "you", text: t("ui.people.you") }) : null,
        ),
        p.role !== "participant" ? h("span", { class: `role-tag role-${p.role}`, text: t(`ui.role.${p.role}`) }) : null,
        h("span", { class: "visually-hidden", text: presenceLabel(p) }),
        p.presence !== "online" ? h("span", { class: "away-tag", "aria-hidden": "true", text: presenceLabel(p) }) : null,
        state.session.status === "running" && p.ready
          ? h("span", { class: "ready-tag", text: t("ui.people.ready") })
          : null,
        extra ? extra(p) : null,
      ),
    ),
  );
}

export function stepPlan(state) {
  return h(
    "ol",
    { class: "plan" },
    state.method.steps.map((s) =>
      h("li", {}, h("span", { text: pick(s.names) }), h("span", { class: "minutes", text: t("ui.minutes", { n: s.minutes }) })),
    ),
  );
}
