// The one Socket.IO connection, same origin, and a promise-based request with an ack timeout.
import { io } from "../vendor/socket.io/socket.io.esm.min.js";
import { clock } from "./timer.js";
import { t } from "./i18n.js";

export const socket = io({ transports: ["websocket", "polling"], tryAllTransports: true });

const TIMEOUT_MS = 10000;

// Resolves with the ack; never rejects. While offline nothing is sent: Socket.IO would otherwise
// buffer the event and deliver it on reconnect before we have resumed, where it would be refused.
export function request(event, payload = {}) {
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
