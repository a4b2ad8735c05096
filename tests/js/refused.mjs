// A graphql-ws client configured as the README says: retry dropped connections, but not a
// socket the server refused (close 4403; the reason says why). Prints JSON lines:
//
//   node refused.mjs WS_URL TOKEN
//
// {"type":"connecting","attempt":N} per socket opened, then {"type":"closed","code","reason"}
// per close, then {"type":"error","code","reason","attempts"} once the client gave up (exit 0).
// Exits 1 if the subscription somehow succeeds or nothing happens within TIMEOUT_MS.
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  console.error("usage: node refused.mjs WS_URL TOKEN");
  process.exit(2);
}
const TIMEOUT_MS = Number(process.env.TIMEOUT_MS || 60000);
const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");

let attempts = 0;
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  // Retries stay on for network trouble...
  retryAttempts: 5,
  retryWait: () => new Promise((resolve) => setTimeout(resolve, 200)),
  // ...but a refusal (4403: "access token expired", "account disabled", ...) is final.
  shouldRetry: (event) => !(event && event.code === 4403),
  on: {
    connecting: () => print({ type: "connecting", attempt: ++attempts }),
    closed: (event) => print({ type: "closed", code: event?.code, reason: event?.reason }),
  },
});

const timer = setTimeout(() => {
  print({ type: "timeout", attempts });
  process.exit(1);
}, TIMEOUT_MS);

client.subscribe(
  { query: "subscription { myJobs { documentId } }" },
  {
    next: (payload) => {
      print({ type: "next", payload });
      process.exit(1);
    },
    error: (error) => {
      clearTimeout(timer);
      print({ type: "error", code: error?.code, reason: error?.reason, attempts });
      client.dispose().finally(() => process.exit(0));
    },
    complete: () => {
      print({ type: "complete" });
      process.exit(1);
    },
  },
);
