// Tiny DOM helpers. User text only ever enters the page through textContent.

const PROPS = new Set(["hidden", "disabled", "checked", "value", "open", "required"]);

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "text") el.textContent = value;
    else if (name === "on") for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
    else if (PROPS.has(name)) el[name] = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Replace a region's content but keep keyboard focus on the "same" control (matched by data-key).
// Folded sections (<details> whose <summary> has a data-key) keep their open state too.
export function swap(region, ...nodes) {
  const active = document.activeElement;
  const key = active && region.contains(active) ? active.dataset.key : null;
  const opened = new Map();
  for (const s of region.querySelectorAll("details > summary[data-key]")) opened.set(s.dataset.key, s.parentElement.open);
  region.replaceChildren();
  append(region, nodes);
  for (const s of region.querySelectorAll("details > summary[data-key]")) {
    if (opened.has(s.dataset.key)) s.parentElement.open = opened.get(s.dataset.key);
  }
  if (key) region.querySelector(`[data-key="${CSS.escape(key)}"]`)?.focus();
}

// A list updated by its items' data-id: kept items stay the same nodes (no new fade, focus stays).
export function keyed(region, list) {
  const ol = region.firstChild, active = document.activeElement, items = [...list.children];
  if (ol?.tagName !== "OL" || list.tagName !== "OL") return swap(region, list);
  const inside = ol.contains(active), { key, id } = active?.dataset || {};
  const old = new Map([...ol.children].map((li) => [li.dataset.id, li]));
  items.forEach((li, i) => {
    const was = old.get(li.dataset.id) || li;
    if (!was.isEqualNode(li)) was.className = li.className, was.replaceChildren(...li.childNodes);
    if (ol.children[i] !== was) ol.insertBefore(was, ol.children[i]);
  });
  while (ol.children[items.length]) ol.lastChild.remove();
  // A changed item's inner nodes are new: focus goes back to the same control, or the same note.
  if (inside && !ol.contains(document.activeElement)) {
    const same = (key && ol.querySelector(`[data-key="${CSS.escape(key)}"]`)) || (id && ol.querySelector(`[data-id="${CSS.escape(id)}"]`));
    same?.focus();
  }
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

// crypto.randomUUID only exists on secure origins; a LAN address over http is not one.
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function storage(kind = "local") {
  const area = kind === "session" ? "sessionStorage" : "localStorage";
  return {
    get(key) {
      try {
        return window[area].getItem(key);
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        if (value == null) window[area].removeItem(key);
        else window[area].setItem(key, value);
      } catch {
        /* storage may be full or blocked; the session still works until reload */
      }
    },
  };
}
