// Texts come from the catalogues the server embeds in the page, so JS holds no strings of its own.
const catalogues = JSON.parse(document.getElementById("catalogues").textContent);
const LANGS = Object.keys(catalogues);
const STORE_KEY = "intervisie:lang";
const listeners = new Set();

let lang = initial();

function initial() {
  // A choice made earlier on this device wins over the language the server guessed.
  const saved = safeGet(STORE_KEY);
  const page = document.documentElement.lang;
  return LANGS.includes(saved) ? saved : LANGS.includes(page) ? page : "nl";
}

function safeGet(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function getLang() {
  return lang;
}

export function t(key, params = {}) {
  const text = catalogues[lang]?.[key] ?? catalogues.nl?.[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// A text from the method, given per language ({nl: ..., en: ...}).
export function pick(texts) {
  if (!texts || typeof texts === "string") return texts || "";
  return texts[lang] ?? texts.nl ?? Object.values(texts)[0] ?? "";
}

export function setLang(next) {
  if (!LANGS.includes(next)) return;
  lang = next;
  try {
    localStorage.setItem(STORE_KEY, next);
  } catch {
    /* private mode: the cookie still carries it */
  }
  // The cookie lets server-rendered pages follow the choice.
  document.cookie = `lang=${next}; path=/; max-age=31536000; samesite=lax`;
  document.documentElement.lang = next;
  translateStatic();
  for (const fn of listeners) fn(next);
}

export function onLangChange(fn) {
  listeners.add(fn);
}

// Texts a page fetches when it first needs them ({nl: {...}, en: {...}}), to keep its first load small.
export function addTexts(more) {
  for (const [code, texts] of Object.entries(more || {})) if (LANGS.includes(code)) Object.assign(catalogues[code], texts);
}

// Server-rendered elements carry their key so a switch needs no reload.
export function translateStatic(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":");
      if (attr && key) el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
  for (const btn of root.querySelectorAll("[data-lang]")) {
    btn.setAttribute("aria-pressed", String(btn.dataset.lang === lang));
  }
}

// The language buttons in the top bar; `reload` for pages whose text the server renders.
export function setupLanguageSwitch({ reload = false } = {}) {
  for (const btn of document.querySelectorAll("[data-lang]")) {
    btn.addEventListener("click", () => {
      if (btn.dataset.lang === lang) return;
      setLang(btn.dataset.lang);
      if (reload) location.reload();
    });
  }
  if (lang !== document.documentElement.lang) {
    if (reload) {
      setLang(lang);
      location.reload();
      return;
    }
    setLang(lang);
  } else {
    translateStatic();
  }
}
