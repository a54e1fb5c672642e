// The shared step timer: every screen counts down by itself towards the server's deadline,
// corrected for the difference between this device's clock and the server's.
import { h } from "./dom.js";
import { t } from "./i18n.js";

export const clock = {
  offset: 0, // server time minus local time, in ms
  bestRtt: Infinity,
  floor: -Infinity,
  // From an ack: the server's time was taken about halfway through the round trip.
  sample(serverNow, sent, received) {
    const rtt = received - sent;
    // A fresh fast sample beats an old one; slow round trips say little about the offset.
    if (rtt <= this.bestRtt * 1.5 + 20) {
      this.bestRtt = Math.min(this.bestRtt, rtt);
      this.offset = Math.max(serverNow - (sent + received) / 2, this.floor);
    }
  },
  // From a push: the server's time was taken before it arrived, so it bounds the offset from below.
  bound(serverNow) {
    this.floor = Math.max(this.floor, serverNow - Date.now() - 5);
    if (this.offset < this.floor) this.offset = this.floor;
  },
  now() {
    return Date.now() + this.offset;
  },
};

export function remainingMs(timer) {
  if (!timer) return 0;
  if (timer.state === "running" && timer.deadline_ms) return Math.max(0, timer.deadline_ms - clock.now());
  if (timer.state === "expired") return 0;
  return timer.remaining_ms ?? 0;
}

export function format(ms) {
  const total = Math.ceil(ms / 1000);
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `${m}:${String(s).padStart(2, "0")}`;
}

// A short, soft two-tone chime made on the spot: no sound file to download.
export const sound = {
  ctx: null,
  muted: readMuted(),
  unlock() {
    // Browsers only allow audio after a user gesture; create the context on the first one.
    if (!this.ctx && window.AudioContext) this.ctx = new AudioContext();
    if (this.ctx?.state === "suspended") this.ctx.resume();
  },
  chime() {
    if (this.muted || !this.ctx) return;
    const now = this.ctx.currentTime;
    [660, 880].forEach((freq, i) => {
      const osc = this.ctx.createOscillator();
      const gain = this.ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      const start = now + i * 0.22;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.25, start + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.6);
      osc.connect(gain).connect(this.ctx.destination);
      osc.start(start);
      osc.stop(start + 0.65);
    });
  },
  setMuted(muted) {
    this.muted = muted;
    try {
      localStorage.setItem("intervisie:muted", muted ? "1" : "0");
    } catch {
      /* not kept across reloads then */
    }
  },
};

function readMuted() {
  try {
    return localStorage.getItem("intervisie:muted") === "1";
  } catch {
    return false;
  }
}

// The visible countdown plus the two spoken milestones (one minute left, time is up).
export class Countdown {
  constructor(el, announce) {
    this.el = el;
    this.announce = announce;
    this.timer = null;
    this.key = null;
    this.fired = new Set();
    this.handle = null;
    this.el.replaceChildren(
      (this.clockEl = h("span", { class: "timer-clock", "aria-hidden": "true" })),
      (this.labelEl = h("span", { class: "timer-label" })),
      (this.srEl = h("span", { class: "visually-hidden" })),
    );
  }

  // `key` names the step (and turn): milestones fire once per key and deadline.
  update(timer, key) {
    this.timer = timer;
    if (key !== this.key) {
      this.key = key;
      this.lastSeconds = null;
    }
    this.tick();
  }

  expiredByServer(deadlineMs) {
    this.timesUp(`${this.key}:${deadlineMs}`);
    if (this.timer && this.timer.state === "running") this.timer = { ...this.timer, state: "expired" };
    this.tick();
  }

  timesUp(id) {
    if (this.fired.has(id)) return;
    this.fired.add(id);
    this.announce(t("ui.timer.up_announce"));
    sound.chime();
    this.onUp?.();
  }

  tick() {
    clearTimeout(this.handle);
    const timer = this.timer;
    if (!timer) {
      this.el.hidden = true;
      return;
    }
    this.el.hidden = false;
    const left = remainingMs(timer);
    const running = timer.state === "running";
    const up = timer.state === "expired" || (running && left <= 0);
    const seconds = Math.ceil(left / 1000);
    this.clockEl.textContent = format(left);
    this.el.dataset.state = up ? "expired" : timer.state;
    this.el.dataset.seconds = String(seconds);
    this.labelEl.textContent = up
      ? t("ui.timer.up")
      : timer.state === "paused"
        ? t("ui.timer.paused")
        : timer.state === "idle"
          ? t("ui.timer.idle")
          : "";
    this.srEl.textContent = up ? "" : t("ui.timer.sr", { time: format(left) });
    if (running) {
      const id = `${this.key}:${timer.deadline_ms}`;
      if (left <= 0) this.timesUp(id);
      else if (seconds <= 60 && this.lastSeconds > 60 && timer.duration_ms > 60000) {
        this.announce(t("ui.timer.minute_announce"));
      }
      this.lastSeconds = seconds;
      // Wake up just after the next whole second, so every screen flips at the same moment.
      if (left > 0) this.handle = setTimeout(() => this.tick(), (left % 1000 || 1000) + 15);
    } else {
      this.lastSeconds = seconds;
    }
  }
}
