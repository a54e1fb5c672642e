// Question cards: a player's hand, the facilitator's card tools, the quadrant balance, and the
// shared screen's board. Loaded only in a session with a deck (session.js), so a plain session's
// first load stays light. Colours come from the deck and reach the page only as SVG fill
// attributes: the CSP allows no inline styles.
import { h, swap, uuid } from "./dom.js";
import { pick, t } from "./i18n.js";
import { nudgeBox } from "./nudge.js";
import { currentStep, personName } from "./render.js";

const SVG = "http://www.w3.org/2000/svg";

// What this page remembers between renders (every state broadcast rebuilds the regions).
const ui = {
  editing: null, // the card someone is putting into their own words
  drafts: new Map(), // card id -> own words typed so far
  sending: new Set(), // card ids on their way to the server
  clientIds: new Map(), // card id -> client_id: a resend after a lost answer is stored once
  who: "group", // whose balance is shown: "group" or a participant id
  giveTo: "",
  giveFrom: "",
  status: "", // the facilitator's last card action, in words
};

// --- small builders ---------------------------------------------------------------------

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) if (value != null) el.setAttribute(name, String(value));
  for (const child of children.flat()) if (child) el.append(child);
  return el;
}

function svgText(x, y, text, attrs = {}) {
  const el = svg("text", { x, y, ...attrs });
  el.textContent = text;
  return el;
}

// A coloured dot before a quadrant's name.
function dot(colour) {
  return svg("svg", { class: "q-dot", viewBox: "0 0 10 10", "aria-hidden": "true", focusable: "false" }, svg("circle", { cx: 5, cy: 5, r: 5, fill: colour }));
}

// A block of the quadrant's colour that stretches behind white text (see .q-band in cards.css).
function band(colour) {
  return svg(
    "svg",
    { class: "q-band", viewBox: "0 0 10 10", preserveAspectRatio: "none", "aria-hidden": "true", focusable: "false" },
    svg("rect", { width: 10, height: 10, fill: colour }),
  );
}

function quadrantOf(deck, id) {
  return deck?.quadrants.find((q) => q.id === id) || null;
}

function cardOf(deck, id) {
  return deck?.cards.find((c) => c.id === id) || null;
}

function counts(balance, quadrantId) {
  return balance?.[quadrantId] || { asked: 0, helped: 0 };
}

// --- who plays, and when ----------------------------------------------------------------

function cardRule(step) {
  return step?.rules.find((r) => r.type === "cards") || null;
}

// A card of another kind than a question (a check-in card) is answered by whoever holds it, not asked.
function answering(step) {
  return (cardRule(step)?.kind || "question") !== "question";
}

// Where the session stands: "play" in a card step, "reflect" in the step right after the last
// one, "after" later on (and once ended), "none" before the cards or without them.
function phase(state) {
  const status = state.session.status;
  if (status === "lobby") return "none";
  const steps = state.method.steps;
  const i = state.session.step_index;
  if (status !== "ended" && cardRule(steps[i])) return "play";
  // Only questions asked from cards have a balance to look back on.
  const cardSteps = steps.map((s, j) => (cardRule(s) && !answering(s) ? j : -1)).filter((j) => j >= 0);
  if (!cardSteps.length) return "none";
  if (status === "ended") return state.cards?.played.length ? "after" : "none";
  if (i === cardSteps.at(-1) + 1) return "reflect";
  return i > cardSteps[0] ? "after" : "none";
}

function players(state) {
  const step = currentStep(state);
  const rule = cardRule(step);
  if (!rule) return [];
  const roles = step.contribute[rule.kind || "question"] || [];
  // The case bringer answers check-in cards like everyone, but is never asked by their own card.
  return state.participants.filter((p) => roles.includes(p.role) && (answering(step) || p.role !== "case_bringer"));
}

function isPlayer(state, me) {
  return Boolean(me) && players(state).some((p) => p.id === me.id);
}

// Whose turn it is, when a turn-order round is under way and this person takes part in it.
function turnFor(state, me) {
  const rule = currentStep(state).rules.find((r) => r.type === "turn_order");
  if (!rule || !state.turn || !rule.roles.includes(me.role)) return { waitingFor: null, myTurn: false };
  const speaker = state.turn.order[state.turn.index];
  return speaker === me.id ? { waitingFor: null, myTurn: true } : { waitingFor: personName(state, speaker), myTurn: false };
}

// In a card step a player asks by playing a card (as it stands or reworded), not in a free field.
export function composeModel(model, state, me) {
  if (model.mode !== "write" || !isPlayer(state, me) || answering(currentStep(state))) return model;
  const kind = cardRule(currentStep(state)).kind || "question";
  const kinds = model.kinds.filter((k) => k !== kind);
  if (kinds.length === model.kinds.length) return model;
  return kinds.length ? { ...model, kinds } : { mode: "cards" };
}

// The quadrant of a played card, on its question wherever questions are listed.
export function quadrantTag(deck, c) {
  const q = quadrantOf(deck, c.details?.quadrant);
  if (!q) return null;
  return h(
    "span",
    { class: "q-tag" },
    dot(q.colour),
    h("span", { class: "visually-hidden", text: `${t("ui.cards.quadrant")} ` }),
    h("span", { text: pick(q.names) }),
  );
}

// --- the views ----------------------------------------------------------------------------

// ctx: {state, me, deck, hand, contributions, send, control, busy, confirm, announce, upsert, setHand, render, check}
// control(event, payload, {stale}) sends one card action at a time (busy while it is on its way),
// with the state's `control` it acted on unless stale is false (a player's own draw is per person;
// the facilitator's always carries it).
export function render(regions, ctx) {
  const { state, me } = ctx;
  const mode = ctx.deck ? phase(state) : "none";
  const facilitator = me?.role === "facilitator";
  let main = null;
  if (mode === "play") {
    if (isPlayer(state, me)) return show(regions, handSection(ctx), facilitator ? sideTools(ctx) : null);
    if (me?.role === "case_bringer") main = caseBringerNote();
  } else if (mode === "reflect" || mode === "after") {
    main = balanceSection(ctx, { id: "main", folded: mode === "after" });
  }
  show(regions, main, mode === "play" && facilitator ? sideTools(ctx) : null);
}

function show(regions, main, side) {
  if (main?.signature) rebuild(regions.cards, main.signature, main.nodes);
  else {
    delete regions.cards.dataset.sig;
    swap(regions.cards, main);
  }
  regions.cards.hidden = !main;
  swap(regions.cardsSide, side);
  regions.cardsSide.hidden = !side;
}

// Rebuild only when something that matters changed, so typing is never interrupted;
// keep the words and the caret of whatever field had the focus.
function rebuild(region, signature, nodes) {
  if (region.dataset.sig === signature) return;
  const active = document.activeElement;
  const caret = active && region.contains(active) && active.tagName === "TEXTAREA" ? [active.dataset.key, active.selectionStart, active.selectionEnd] : null;
  region.dataset.sig = signature;
  swap(region, nodes);
  if (caret) {
    const field = region.querySelector(`[data-key="${CSS.escape(caret[0])}"]`);
    if (field && document.activeElement === field) field.setSelectionRange(caret[1], caret[2]);
  }
}

function caseBringerNote() {
  return h(
    "section",
    { class: "card cards-note" },
    h("h2", { class: "section-title", text: t("ui.cards.case_bringer_title") }),
    h("p", { text: t("ui.cards.case_bringer", { mark: t("ui.mark.helped") }) }),
  );
}

// --- a player's hand --------------------------------------------------------------------

function handSection(ctx) {
  const { state, me, deck, hand } = ctx;
  const rule = cardRule(currentStep(state));
  const { waitingFor, myTurn } = turnFor(state, me);
  const cards = state.cards || { pile: 0, focus: null };
  // A player may hold one card more than the step deals (the facilitator may give more).
  const extraAllowed = rule.hand == null || hand.length <= rule.hand;
  const focus = quadrantOf(deck, cards.focus);
  if (ui.editing && !hand.includes(ui.editing)) ui.editing = null; // dealt away meanwhile
  const signature = JSON.stringify([
    t("ui.cards.play"), // the language
    hand,
    ui.editing,
    [...ui.sending],
    waitingFor,
    myTurn,
    extraAllowed,
    cards.pile > 0,
    cards.focus,
    me.role,
    ctx.busy,
  ]);
  const nodes = h(
    "section",
    { class: "card hand-card", "aria-labelledby": "hand-title" },
    h("h2", { class: "section-title", id: "hand-title", tabindex: "-1", text: t("ui.cards.hand_title") }),
    h("p", { class: "hint", text: t(answering(currentStep(state)) ? "ui.cards.answer_lead" : "ui.cards.hand_lead") }),
    focus ? h("p", { class: "focus-note" }, dot(focus.colour), h("span", { text: t("ui.cards.focus_note", { name: pick(focus.names) }) })) : null,
    waitingFor ? h("p", { class: "turn-note", text: t("ui.turn.wait", { name: waitingFor }) }) : null,
    myTurn ? h("p", { class: "turn-note", text: t("ui.turn.yours") }) : null,
    hand.length
      ? h("ul", { class: "hand" }, hand.map((id) => playCard(ctx, cardOf(deck, id), Boolean(waitingFor))))
      : h("p", { class: "empty", text: t(me.role === "facilitator" ? "ui.cards.fac.no_cards" : "ui.cards.no_cards") }),
    drawBox(ctx, { extraAllowed, pileEmpty: !cards.pile, focus }),
    deck.credits ? h("p", { class: "credits", text: pick(deck.credits) }) : null,
  );
  return { signature, nodes };
}

function playCard(ctx, card, waiting) {
  if (!card) return null;
  const q = quadrantOf(ctx.deck, card.quadrant);
  const text = pick(card.text);
  const textId = `card-${card.id}`;
  const busy = ui.sending.has(card.id);
  const editing = ui.editing === card.id;
  const answer = answering(currentStep(ctx.state));
  return h(
    "li",
    { class: `play-card${editing ? " is-editing" : ""}`, "data-card": card.id, "data-quadrant": card.quadrant },
    h("p", { class: "q-head" }, band(q?.colour || "#4d5665"), h("span", { class: "visually-hidden", text: `${t("ui.cards.quadrant")} ` }), h("span", { text: q ? pick(q.names) : "" })),
    h("p", { class: "card-text", id: textId, text }),
    editing
      ? ownForm(ctx, card, answer ? "" : text, waiting || busy)
      : h(
          "div",
          { class: "card-actions" },
          answer ? null : h("button", {
            type: "button",
            class: "button primary",
            disabled: waiting || busy,
            "aria-describedby": textId,
            "data-key": `play:${card.id}`,
            text: busy ? t("ui.cards.sending") : t("ui.cards.play"),
            on: { click: () => play(ctx, card.id) },
          }),
          h("button", {
            type: "button",
            class: "button",
            "aria-describedby": textId,
            "data-key": `own:${card.id}`,
            text: t(answer ? "ui.cards.answer" : "ui.cards.own"),
            on: {
              click: () => {
                ui.editing = card.id;
                ctx.render();
                document.getElementById(`own-${card.id}`)?.focus();
              },
            },
          }),
        ),
  );
}

// Ask the card in your own words (the card's text to start from) or answer it (`text` empty); kept while others act.
function ownForm(ctx, card, text, blocked) {
  const id = `own-${card.id}`;
  const field = h("textarea", { id, rows: 3, maxlength: 2000, "data-key": `own-text:${card.id}` });
  field.value = ui.drafts.get(card.id) ?? text;
  field.addEventListener("input", () => ui.drafts.set(card.id, field.value));
  const status = h("p", { class: "form-status", role: "status" });
  const form = h(
    "form",
    { class: "own-form", novalidate: true },
    h("label", { for: id, text: t(text ? "ui.cards.own_label" : "ui.cards.answer_label") }),
    field,
    text ? nudgeBox(field, "question", ctx.check, text) : null, // an answer is no question to nudge
    h(
      "div",
      { class: "card-actions" },
      h("button", { type: "submit", class: "button primary", disabled: blocked, "data-key": `own-send:${card.id}`, text: t(text ? "ui.cards.own_send" : "ui.cards.answer_send") }),
      h("button", {
        type: "button",
        class: "button",
        "data-key": `own-cancel:${card.id}`,
        text: t("ui.cancel"),
        on: {
          click: () => {
            ui.editing = null;
            ui.drafts.delete(card.id);
            ctx.render();
            document.querySelector(`[data-key="own:${CSS.escape(card.id)}"]`)?.focus();
          },
        },
      }),
    ),
    status,
  );
  const submit = (event) => {
    event.preventDefault();
    if (blocked) return; // someone else's turn: the words stay until it is yours
    const own = field.value.trim();
    if (!own) {
      status.textContent = t(text ? "ui.cards.own_empty" : "ui.cards.answer_empty");
      field.focus();
      return;
    }
    play(ctx, card.id, own === text ? null : own);
  };
  form.addEventListener("submit", submit);
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) submit(event);
  });
  return form;
}

async function play(ctx, cardId, text = null) {
  if (ui.sending.has(cardId)) return;
  const clientId = ui.clientIds.get(cardId) || uuid();
  ui.clientIds.set(cardId, clientId);
  ui.sending.add(cardId);
  ctx.render();
  const payload = { client_id: clientId, card_id: cardId };
  if (text) payload.text = text;
  const ack = await ctx.send("card:play", payload);
  ui.sending.delete(cardId);
  // Without an answer the question may have arrived: a second try carries the same client_id.
  if (ack.ok || ack.error !== "offline") ui.clientIds.delete(cardId);
  if (!ack.ok) return ctx.render();
  if (ui.editing === cardId) ui.editing = null;
  ui.drafts.delete(cardId);
  ctx.upsert(ack.contribution);
  ctx.setHand(ack.cards.hand);
  ctx.announce(t("ui.cards.played"));
  document.getElementById("hand-title")?.focus();
}

function drawBox(ctx, { extraAllowed, pileEmpty, focus }) {
  const texts = answering(currentStep(ctx.state))
    ? { title: "ui.cards.answer_draw_title", full: "ui.cards.answer_draw_full", any: "ui.cards.answer_draw_any" }
    : { title: "ui.cards.draw_title", full: "ui.cards.draw_full", any: "ui.cards.draw_any" };
  if (pileEmpty) return h("p", { class: "hint", text: t("ui.cards.pile_empty") });
  if (!extraAllowed) return h("p", { class: "hint", text: t(texts.full) });
  const from = focus ? [focus] : ctx.deck.quadrants;
  return h(
    "div",
    { class: "draw", role: "group", "aria-labelledby": "draw-title" },
    h("p", { class: "draw-title", id: "draw-title", text: t(texts.title) }),
    h(
      "div",
      { class: "draw-buttons" },
      from.map((q) =>
        h("button", { type: "button", class: "button q-button", "aria-disabled": ctx.busy ? "true" : null, "data-key": `draw:${q.id}`, on: { click: () => draw(ctx, q.id) } }, dot(q.colour), h("span", { text: pick(q.names) })),
      ),
      focus ? null : h("button", { type: "button", class: "button q-button", "aria-disabled": ctx.busy ? "true" : null, "data-key": "draw:any", text: t(texts.any), on: { click: () => draw(ctx, null) } }),
    ),
  );
}

async function draw(ctx, quadrant) {
  const ack = await ctx.control("cards:draw", quadrant ? { quadrant } : {}, { stale: false });
  if (!ack.ok) return;
  ctx.setHand(ack.cards.hand);
  const card = cardOf(ctx.deck, ack.card);
  if (!card) return;
  ctx.announce(t("ui.cards.drawn", { name: pick(quadrantOf(ctx.deck, card.quadrant)?.names), text: pick(card.text) }));
  document.querySelector(`[data-key="play:${CSS.escape(card.id)}"]`)?.focus();
}

// --- the facilitator's card tools -------------------------------------------------------

// The facilitator's tools, with the full balance folded away below them during the round.
function sideTools(ctx) {
  return [facilitatorTools(ctx), balanceSection(ctx, { id: "side", folded: true })];
}

function facilitatorTools(ctx) {
  const { state, me, deck, confirm } = ctx;
  const cards = state.cards || { pile: 0, hands: {}, focus: null };
  const waiting = ctx.busy ? "true" : null; // a card action is on its way: the buttons wait for it
  const people = players(state);
  const cardsFocus = quadrantOf(deck, cards.focus);
  const status = ui.status ? h("p", { class: "done-note", text: ui.status }) : null;
  const act = async (event, payload, doneKey) => {
    const ack = await ctx.control(event, payload, { stale: event !== "cards:draw" });
    if (!ack.ok) return;
    ui.status = t(doneKey, payload.participant_id ? { name: personName(state, payload.participant_id) } : {});
    ctx.announce(ui.status);
    ctx.setHand(ack.cards.hand);
    const shown = ui.status;
    setTimeout(() => {
      if (ui.status === shown) ui.status = "";
    }, 8000);
  };
  const focusButton = (q) =>
    h(
      "button",
      {
        type: "button",
        class: "button q-button",
        "aria-pressed": String((cards.focus || null) === (q?.id || null)),
        "aria-disabled": waiting,
        "data-key": `focus:${q?.id || "all"}`,
        on: {
          click: async () => {
            if ((cards.focus || null) === (q?.id || null)) return;
            const name = q ? pick(q.names) : t("ui.cards.fac.focus_all");
            if (await confirm(t("ui.cards.fac.focus_confirm", { name }), t("ui.cards.fac.focus_ok"))) {
              act("cards:focus", { quadrant: q?.id || null }, "ui.cards.fac.focused");
            }
          },
        },
      },
      q ? dot(q.colour) : null,
      h("span", { text: q ? pick(q.names) : t("ui.cards.fac.focus_all") }),
    );
  if (!people.some((p) => p.id === ui.giveTo)) ui.giveTo = people[0]?.id || "";
  const to = h(
    "select",
    { id: "give-to", "data-key": "give-to", on: { change: (e) => (ui.giveTo = e.target.value) } },
    people.map((p) => h("option", { value: p.id, text: p.id === me.id ? `${p.name} (${t("ui.people.you")})` : p.name })),
  );
  to.value = ui.giveTo;
  const from = h(
    "select",
    { id: "give-from", "data-key": "give-from", on: { change: (e) => (ui.giveFrom = e.target.value) } },
    h("option", { value: "", text: t("ui.cards.draw_any") }),
    deck.quadrants.filter((q) => !cards.focus || q.id === cards.focus).map((q) => h("option", { value: q.id, text: pick(q.names) })),
  );
  from.value = ui.giveFrom;
  if (from.value !== ui.giveFrom) ui.giveFrom = from.value = "";
  const give = h(
    "form",
    { class: "give", novalidate: true },
    h("div", { class: "field" }, h("label", { for: "give-to", text: t("ui.cards.fac.give_to") }), to),
    h("div", { class: "field" }, h("label", { for: "give-from", text: t("ui.cards.fac.give_from") }), from),
    h("button", { type: "submit", class: "button", "data-key": "give", disabled: !people.length, "aria-disabled": waiting, text: t("ui.cards.fac.give_go") }),
  );
  give.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!ui.giveTo) return;
    const payload = { participant_id: ui.giveTo };
    if (ui.giveFrom) payload.quadrant = ui.giveFrom;
    act("cards:draw", payload, "ui.cards.fac.given");
  });
  // The balance at a glance, laid out like the model; the full diagram folds out below.
  const tally = h(
    "ul",
    { class: "tally", "aria-label": t("ui.cards.balance_title") },
    deck.quadrants.map((q) => {
      const { asked, helped } = counts(cards.balance?.group, q.id);
      return h(
        "li",
        { class: `col-${q.column} row-${q.row}` },
        h("span", { class: "tally-name" }, dot(q.colour), h("span", { text: pick(q.names) })),
        h("span", { class: "tally-count", text: t("ui.cards.count", { asked, helped }) }),
      );
    }),
  );
  return h(
    "section",
    { class: "card cards-tools", "aria-labelledby": "cards-tools-title" },
    h("div", { class: "tools-head" }, h("h2", { class: "section-title", id: "cards-tools-title", text: t("ui.cards.fac.title") }), h("p", { class: "pile", text: t("ui.cards.fac.pile", { n: cards.pile }) })),
    tally,
    cardsFocus ? h("p", { class: "focus-note" }, dot(cardsFocus.colour), h("span", { text: t("ui.cards.focus_note", { name: pick(cardsFocus.names) }) })) : null,
    h("h3", { class: "tools-sub", text: t("ui.cards.fac.hands") }),
    people.length
      ? h("ul", { class: "hands" }, people.map((p) => h("li", { text: `${p.id === me.id ? `${p.name} (${t("ui.people.you")})` : p.name}: ${cards.hands?.[p.id] || 0}` })))
      : h("p", { class: "hint", text: t("ui.cards.fac.no_players") }),
    // Used now and then: folded, so the turn-taking card below stays in view.
    h(
      "details",
      { class: "tools-more" },
      h("summary", { "data-key": "cards-more" }, h("span", { text: t("ui.cards.fac.more") })),
      h(
        "div",
        { class: "tool-row" },
        h("button", { type: "button", class: "button", "data-key": "deal", "aria-describedby": "deal-hint", "aria-disabled": waiting, text: t("ui.cards.fac.deal"), on: { click: () => act("cards:deal", {}, "ui.cards.fac.dealt") } }),
        h("button", {
          type: "button",
          class: "button",
          "data-key": "reshuffle",
          "aria-disabled": waiting,
          text: t("ui.cards.fac.reshuffle"),
          on: {
            click: async () => {
              if (await confirm(t("ui.cards.fac.reshuffle_confirm"), t("ui.cards.fac.reshuffle_ok"))) act("cards:reshuffle", {}, "ui.cards.fac.reshuffled");
            },
          },
        }),
      ),
      h("p", { class: "hint", id: "deal-hint", text: t("ui.cards.fac.deal_hint") }),
      h(
        "div",
        { class: "focus-set", role: "group", "aria-labelledby": "focus-title", "aria-describedby": "focus-hint" },
        h("h3", { class: "tools-sub", id: "focus-title", text: t("ui.cards.fac.focus_title") }),
        h("p", { class: "hint", id: "focus-hint", text: t("ui.cards.fac.focus_hint") }),
        h("div", { class: "draw-buttons" }, focusButton(null), deck.quadrants.map(focusButton)),
      ),
      h("h3", { class: "tools-sub", text: t("ui.cards.fac.give_title") }),
      give,
    ),
    status,
  );
}

// --- the quadrant balance ---------------------------------------------------------------

// Everyone who played or plays now, in the order they joined.
function balancePeople(state) {
  const played = new Set(Object.keys(state.cards?.balance?.people || {}));
  const playing = new Set(players(state).map((p) => p.id));
  return state.participants.filter((p) => played.has(p.id) || playing.has(p.id));
}

function balanceSection(ctx, { id, folded = false }) {
  const { state, me, deck } = ctx;
  const people = balancePeople(state);
  if (ui.who !== "group" && !people.some((p) => p.id === ui.who)) ui.who = "group";
  const whoName = ui.who === "group" ? t("ui.cards.balance_group") : personName(state, ui.who);
  const numbers = ui.who === "group" ? state.cards?.balance?.group : state.cards?.balance?.people[ui.who];
  const selectId = `balance-who-${id}`;
  const select = h(
    "select",
    {
      id: selectId,
      "data-key": selectId,
      on: {
        change: (e) => {
          ui.who = e.target.value;
          ctx.render();
        },
      },
    },
    h("option", { value: "group", text: t("ui.cards.balance_group") }),
    people.map((p) => h("option", { value: p.id, text: me && p.id === me.id ? `${p.name} (${t("ui.people.you")})` : p.name })),
  );
  select.value = ui.who;
  const titleId = `balance-title-${id}`;
  const body = [
    id === "main" ? h("p", { class: "hint", text: t("ui.cards.balance_lead") }) : null,
    h("div", { class: "field who-field" }, h("label", { for: selectId, text: t("ui.cards.balance_who") }), select),
    h("figure", { class: "quadrant-figure" }, diagram(deck, numbers), balanceTable(deck, numbers, t("ui.cards.table_caption", { who: whoName }))),
    id === "main" ? askedList(ctx, id) : null,
  ];
  if (folded) {
    return h(
      "details",
      { class: "card balance" },
      h("summary", { "data-key": `balance-${id}`, id: titleId }, h("span", { text: t("ui.cards.balance_title") })),
      body,
    );
  }
  return h(
    "section",
    { class: "card balance", "aria-labelledby": titleId },
    h("h2", { class: "section-title", id: titleId, text: t("ui.cards.balance_title") }),
    body,
  );
}

// Words in lines of about `width` units (SVG text does not wrap by itself).
function lines(text, size, width) {
  const max = Math.max(6, Math.floor(width / (size * 0.53)));
  const out = [];
  for (const word of String(text).split(/\s+/)) {
    if (out.length && `${out.at(-1)} ${word}`.length <= max) out[out.length - 1] += ` ${word}`;
    else out.push(word);
  }
  return out;
}

// A label of one or more lines; `from` is where the first line's baseline goes.
function label(x, from, texts, size, attrs = {}) {
  const el = svg("text", { "font-size": size, ...attrs });
  texts.forEach((line, i) => {
    const span = svg("tspan", { x, y: from + i * size * 1.2 });
    span.textContent = line;
    el.append(span);
  });
  return el;
}

// The 2 × 2 model: the first axis left to right, the second top to bottom; per quadrant the
// number of questions asked, how many helped, and a dot per question (filled: it helped).
export function diagram(deck, numbers) {
  const W = 330; // about a phone's width, so the text is read at its own size there
  const H = 400;
  const G = 6;
  const POLE = 15; // font size of the pole names
  const line = POLE * 1.2;
  const [across, down] = deck.axes;
  // Room for the axes: an arrow with the axis name, then the pole names in one or two lines.
  const top = across.poles.map((p) => lines(pick(p.names), POLE, (W - 70) / 2 - 12));
  const left = down.poles.map((p) => lines(pick(p.names), POLE, (H - 70) / 2 - 12));
  const T = 30 + Math.max(...top.map((l) => l.length)) * line;
  const L = 30 + Math.max(...left.map((l) => l.length)) * line;
  const cw = (W - L - G) / 2;
  const ch = (H - T - G) / 2;
  const muted = "#4d5665";
  const ink = "#1c2330";
  const halo = { stroke: "#fff", "stroke-width": 6, "paint-order": "stroke", "stroke-linejoin": "round" };
  const root = svg("svg", { class: "quadrant-diagram", viewBox: `0 0 ${W} ${H}`, "aria-hidden": "true", focusable: "false" });
  root.append(
    svg("path", { d: `M${L + 8} 12H${W - 8}M${L + 14} 7l-6 5 6 5M${W - 14} 7l6 5-6 5`, stroke: muted, "stroke-width": 1.5, fill: "none" }),
    svgText((L + W) / 2, 17, pick(across.names), { "text-anchor": "middle", "font-size": 14, fill: muted, ...halo }),
    svg("path", { d: `M12 ${T + 8}V${H - 8}M7 ${T + 14}l5 -6 5 6M7 ${H - 14}l5 6 5 -6`, stroke: muted, "stroke-width": 1.5, fill: "none" }),
    svgText(0, 0, pick(down.names), { "text-anchor": "middle", "font-size": 14, fill: muted, transform: `translate(17 ${(T + H) / 2}) rotate(-90)`, ...halo }),
  );
  const pole = { "text-anchor": "middle", "font-weight": 600, fill: ink };
  top.forEach((texts, i) => root.append(label(L + i * (cw + G) + cw / 2, T - 8 - (texts.length - 1) * line, texts, POLE, pole)));
  left.forEach((texts, i) => {
    // Rotated: the lines stack towards the cells, the last one just beside them.
    const at = `translate(${L - 8 - (texts.length - 1) * line} ${T + i * (ch + G) + ch / 2}) rotate(-90)`;
    root.append(label(0, 0, texts, POLE, { ...pole, transform: at }));
  });
  for (const q of deck.quadrants) {
    const { asked, helped } = counts(numbers, q.id);
    const x = L + q.column * (cw + G);
    const y = T + q.row * (ch + G);
    const words = lines(asked ? t(asked === 1 ? "ui.cards.asked_one" : "ui.cards.asked_many") : t("ui.cards.unused"), 15, cw - 24);
    const cell = svg("g", { class: "q-cell" });
    cell.append(
      svg("rect", { x, y, width: cw, height: ch, rx: 10, fill: q.colour, "fill-opacity": 0.07, stroke: q.colour, "stroke-width": 2, "stroke-dasharray": asked ? null : "6 5" }),
      svg("path", { d: `M${x} ${y + 32}V${y + 10}a10 10 0 0 1 10 -10H${x + cw - 10}a10 10 0 0 1 10 10V${y + 32}Z`, fill: q.colour }),
      svgText(x + 10, y + 22, pick(q.names), { "font-size": Math.min(16, Math.floor((cw - 18) / (pick(q.names).length * 0.6))), "font-weight": 700, fill: "#fff" }),
      svgText(x + 12, y + 78, String(asked), { "font-size": 42, "font-weight": 750, fill: asked ? ink : muted }),
      label(x + 12, y + 100, words, 15, { fill: asked ? ink : muted }),
      asked ? svgText(x + 12, y + 104 + words.length * 18, t("ui.cards.helped", { n: helped }), { "font-size": 15, "font-weight": 600, fill: "#1d5e33" }) : null,
    );
    // One dot per question, the ones that helped filled in.
    const room = Math.floor((cw - 24) / 12);
    const shown = asked > room ? room - 1 : asked;
    for (let i = 0; i < shown; i++) {
      cell.append(svg("circle", { cx: x + 17 + i * 12, cy: y + ch - 16, r: 4.5, fill: i < helped ? q.colour : "#fff", stroke: q.colour, "stroke-width": 1.5 }));
    }
    if (asked > shown) cell.append(svgText(x + 12 + shown * 12, y + ch - 11, `+${asked - shown}`, { "font-size": 13, fill: ink }));
    root.append(cell);
  }
  return root;
}

// The same numbers as a table, for screen readers (the diagram itself is hidden from them).
function balanceTable(deck, numbers, caption) {
  const place = (q) =>
    deck.axes
      .map((axis) => axis.poles.find((p) => p.id === q.position[axis.id]))
      .filter(Boolean)
      .map((p) => pick(p.names))
      .join(", ");
  const heads = ["ui.cards.table_quadrant", "ui.cards.table_place", "ui.cards.table_asked", "ui.cards.table_helped"];
  const rows = deck.quadrants.map((q) => {
    const { asked, helped } = counts(numbers, q.id);
    return h("tr", {}, h("th", { scope: "row", text: pick(q.names) }), h("td", { text: place(q) }), h("td", { text: String(asked) }), h("td", { text: String(helped) }));
  });
  // The wrapper hides it: a table itself keeps its full width and would widen a phone's page.
  return h(
    "div",
    { class: "visually-hidden" },
    h("table", {}, h("caption", { text: caption }), h("thead", {}, h("tr", {}, heads.map((k) => h("th", { scope: "col", text: t(k) })))), h("tbody", {}, rows)),
  );
}

function helpedMark(c) {
  return (c?.marks || []).some((m) => m.value === "helped");
}

// The questions asked from cards, per quadrant (for the chosen person, or everyone).
function playedBy(ctx, quadrantId, who = ui.who) {
  const { state, contributions } = ctx;
  return (state.cards?.played || [])
    .filter((e) => e.quadrant === quadrantId && (who === "group" || e.by === who))
    .map((e) => ({ entry: e, c: contributions.get(e.contribution) }))
    .filter(({ c }) => c && !c.hidden);
}

function askedList(ctx, id) {
  const { deck } = ctx;
  const groups = deck.quadrants.map((q) => ({ q, items: playedBy(ctx, q.id) }));
  const any = groups.some((g) => g.items.length);
  return h(
    "details",
    { class: "asked", open: true },
    h("summary", { "data-key": `asked-${id}` }, h("span", { text: t("ui.cards.asked_title") })),
    any
      ? groups
          .filter((g) => g.items.length)
          .map(({ q, items }) =>
            h(
              "div",
              { class: "asked-group" },
              h("h3", { class: "asked-name" }, dot(q.colour), h("span", { text: `${pick(q.names)} (${items.length})` })),
              h(
                "ul",
                { class: "asked-list" },
                items.map(({ c }) =>
                  h(
                    "li",
                    {},
                    h("span", { class: "c-text", text: c.text }),
                    h("span", { class: "c-meta" }, h("span", { text: c.author_name }), helpedMark(c) ? h("span", { class: "chip mark-helped", text: t("ui.mark.helped") }) : null),
                  ),
                ),
              ),
            ),
          )
      : h("p", { class: "empty", text: t("ui.cards.none_asked") }),
  );
}

// --- the shared screen ------------------------------------------------------------------

// In a card step the screen shows the model with the questions asked so far, in large type; in
// the step after it, the balance beside what people write.
export function renderScreen(regions, ctx) {
  const mode = ctx.deck && ctx.state.session.status === "running" ? phase(ctx.state) : "none";
  document.body.dataset.cards = mode;
  if (mode === "play") {
    swap(regions.body, board(ctx));
    fitBoard(regions.body);
  } else if (mode === "reflect") {
    const written = [...regions.body.childNodes];
    swap(
      regions.body,
      h(
        "div",
        { class: "screen-reflect" },
        h("figure", { class: "quadrant-figure" }, diagram(ctx.deck, ctx.state.cards?.balance?.group), balanceTable(ctx.deck, ctx.state.cards?.balance?.group, t("ui.cards.table_caption", { who: t("ui.cards.balance_group") }))),
        h("div", { class: "reflect-feed" }, written),
      ),
    );
  }
}

function board(ctx) {
  const { state, deck } = ctx;
  const [across, down] = deck.axes;
  const group = state.cards?.balance?.group;
  return h(
    "div",
    { class: "cards-board" },
    h("div", { class: "board-corner", "aria-hidden": "true" }),
    across.poles.map((p, i) => h("p", { class: `board-label board-col col-${i}` }, h("span", { class: "axis-name", text: pick(across.names) }), h("span", { class: "pole-name", text: pick(p.names) }))),
    down.poles.map((p, i) => h("p", { class: `board-label board-row row-${i}` }, h("span", { class: "axis-name", text: pick(down.names) }), h("span", { class: "pole-name", text: pick(p.names) }))),
    deck.quadrants.map((q) => {
      const { asked, helped } = counts(group, q.id);
      const items = playedBy(ctx, q.id, "group").reverse();
      const titleId = `board-${q.id}`;
      return h(
        "section",
        { class: `board-cell col-${q.column} row-${q.row}${asked ? "" : " is-empty"}`, "aria-labelledby": titleId, "data-quadrant": q.id },
        h("div", { class: "q-head" }, band(q.colour), h("h2", { id: titleId, text: pick(q.names) }), h("span", { class: "board-count", text: t("ui.cards.count", { asked, helped }) })),
        items.length
          ? h(
              "ol",
              { class: "board-list" },
              items.map(({ c }) =>
                h(
                  "li",
                  { class: helpedMark(c) ? "helped" : null },
                  // Who asked, and whether it helped, right after the question: more questions fit.
                  h(
                    "p",
                    { class: "board-text" },
                    h("span", { text: c.text }),
                    h("span", { class: "board-who", text: c.author_name }),
                    helpedMark(c) ? h("span", { class: "chip mark-helped", text: t("ui.mark.helped") }) : null,
                  ),
                ),
              ),
            )
          : h("p", { class: "board-empty", text: t("ui.cards.unused") }),
        items.length ? h("p", { class: "more", hidden: true }) : null,
      );
    }),
  );
}

// Each quadrant shows its newest questions, as many as fit whole, and how many earlier ones
// there are: measured, because it depends on the projector and on the length of the questions.
function fitBoard(root) {
  for (const list of root.querySelectorAll(".board-list")) {
    const more = list.nextElementSibling;
    const items = [...list.children];
    for (const li of items) li.hidden = false;
    more.textContent = t("ui.cards.screen_more", { n: items.length });
    more.hidden = false;
    const bottom = list.getBoundingClientRect().bottom + 1;
    let left = 0;
    items.forEach((li, i) => {
      // The newest always shows; after the first that does not fit, none do.
      if (i > 0 && (left || li.getBoundingClientRect().bottom > bottom)) {
        li.hidden = true;
        left += 1;
      }
    });
    more.textContent = t("ui.cards.screen_more", { n: left });
    more.hidden = !left;
  }
}

// A projector window that changes size fits its board again.
window.addEventListener("resize", () => {
  const board = document.querySelector(".cards-board");
  if (board) fitBoard(board);
});
