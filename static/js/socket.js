// The one Socket.IO connection, same origin, and a promise-based request with an ack timeout.
import { io } from "../vendor/socket.io/socket.io.esm.min.js";
import { clock } from "./timer.js";
import { t } from "./i18n.js";

export const socket = io({ transports: ["websocket", "polling"], tryAllTransports: true });

const TIMEOUT_MS = 10000;

// "busy" means the server refused before doing anything (back-pressure): ask again a little later,
// spread out so a room does not come back all at once.
const BUSY_RETRIES_MS = [200, 600, 1500];

// Resolves with the ack; never rejects. A "busy" answer is retried a few times before it is returned.
export async function request(event, payload = {}) {
  for (const wait of BUSY_RETRIES_MS) {
    const ack = await once(event, payload);
    if (ack.error !== "busy") return ack;
    await new Promise((resolve) => setTimeout(resolve, wait * (0.75 + Math.random() / 2)));
  }
  return once(event, payload);
}

// While offline nothing is sent: Socket.IO would otherwise buffer the event and deliver it on
// reconnect before we have resumed, where it would be refused.
function once(event, payload) {
  if (!socket.connected) {
    return Promise.resolve({ ok: false, error: "offline", message: t("ui.conn.offline") });
  }
  const sent = Date.now();
  return new Promise((resolve) => {
    socket.timeout(TIMEOUT_MS).emit(event, payload, (err, ack) => {
      if (err || !ack) {
        resolve({ ok: false, error: "offline", message: t("ui.conn.offline") });
        return;
      }
      const serverNow = ack.snapshot?.server_now_ms ?? ack.state?.server_now_ms;
      if (serverNow) clock.sample(serverNow, sent, Date.now());
      resolve(ack);
    });
  });
}
