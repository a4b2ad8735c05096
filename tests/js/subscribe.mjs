// Follow one job with the npm reference client, graphql-ws, and print what arrives as JSON lines.
//
//   node subscribe.mjs WS_URL TOKEN DOCUMENT_ID
//
// Lines: {"type":"connected"} once the server acknowledged connection_init, then
// {"type":"next","payload":{data,errors}} per event, then {"type":"complete"} (exit 0), or
// {"type":"error",...} / {"type":"closed","code":N} (exit 1). Gives up after TIMEOUT_MS.
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, token, documentId] = process.argv.slice(2);
if (!url || !token || !documentId) {
  console.error("usage: node subscribe.mjs WS_URL TOKEN DOCUMENT_ID");
  process.exit(2);
}
const TIMEOUT_MS = Number(process.env.TIMEOUT_MS || 120000);

const QUERY = `subscription Progress($documentId: ID!) {
  jobProgress(documentId: $documentId) { documentId status stage progress page pageCount message at }
}`;

const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
  lazy: true,
  on: {
    connected: () => print({ type: "connected" }),
    closed: (event) => {
      if (event && event.code !== 1000) print({ type: "closed", code: event.code, reason: event.reason });
    },
  },
});

const timer = setTimeout(() => {
  print({ type: "error", message: `no completion within ${TIMEOUT_MS} ms` });
  process.exit(1);
}, TIMEOUT_MS);

client.subscribe(
  { query: QUERY, variables: { documentId } },
  {
    next: (payload) => print({ type: "next", payload }),
    error: (error) => {
      const detail = Array.isArray(error) ? { errors: error } : { message: String(error?.message ?? error), code: error?.code };
      print({ type: "error", ...detail });
      clearTimeout(timer);
      client.dispose().finally(() => process.exit(1));
    },
    complete: () => {
      print({ type: "complete" });
      clearTimeout(timer);
      client.dispose().finally(() => process.exit(0));
    },
  },
);
