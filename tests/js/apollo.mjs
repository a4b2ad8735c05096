// Apollo Client 4 against a live server, driven by tests/api/test_js_clients.py; JSON lines on stdout.
//
//   node apollo.mjs persisted HTTP_URL TOKEN
//     PersistedQueryLink + HttpLink: the same query twice (no cache), each request the link
//     sent printed as {"type":"request","method","hasQuery","sha256Hash"}, each result as
//     {"type":"result","data"}; with GET for hashed queries as the second pass.
//   node apollo.mjs subscribe HTTP_URL TOKEN DOCUMENT_ID
//     jobProgress over a plain HttpLink (multipart subscriptions, no WebSocket): one
//     {"type":"next","data"} per event, then {"type":"complete"}.
// Errors print {"type":"error","message"} and exit 1. Gives up after TIMEOUT_MS.
import { createHash } from "node:crypto";
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";

const [mode, url, token, documentId] = process.argv.slice(2);
const TIMEOUT_MS = Number(process.env.TIMEOUT_MS || 120000);
const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const fail = (error) => {
  print({ type: "error", message: String(error && (error.stack || error.message || error)) });
  process.exit(1);
};
setTimeout(() => fail(`nothing finished within ${TIMEOUT_MS} ms`), TIMEOUT_MS).unref();

const sha256 = (text) => createHash("sha256").update(text).digest("hex");

// Every request the links send, as the server receives it.
const recordingFetch = async (input, init = {}) => {
  const target = new URL(typeof input === "string" ? input : input.url);
  const method = (init.method || "GET").toUpperCase();
  let body = {};
  if (method === "GET") {
    body = {
      query: target.searchParams.get("query") || undefined,
      extensions: JSON.parse(target.searchParams.get("extensions") || "{}"),
    };
  } else if (typeof init.body === "string") {
    body = JSON.parse(init.body);
  }
  print({
    type: "request",
    method,
    hasQuery: typeof body.query === "string" && body.query.length > 0,
    sha256Hash: body.extensions?.persistedQuery?.sha256Hash ?? null,
  });
  return fetch(input, init);
};

const headers = token ? { Authorization: `Bearer ${token}` } : {};

async function persisted() {
  const query = gql`
    query Languages {
      supportedLanguages
      me {
        email
      }
    }
  `;
  for (const useGETForHashedQueries of [false, true]) {
    const client = new ApolloClient({
      cache: new InMemoryCache(),
      link: ApolloLink.from([
        new PersistedQueryLink({ sha256, useGETForHashedQueries }),
        new HttpLink({ uri: url, headers, fetch: recordingFetch }),
      ]),
    });
    for (let round = 0; round < 2; round++) {
      const result = await client.query({ query, fetchPolicy: "no-cache" });
      if (result.error) throw result.error;
      print({ type: "result", data: result.data });
    }
  }
}

async function subscribe() {
  const client = new ApolloClient({
    cache: new InMemoryCache(),
    link: new HttpLink({ uri: url, headers }),
  });
  const subscription = gql`
    subscription Progress($documentId: ID!) {
      jobProgress(documentId: $documentId) {
        documentId
        status
        stage
        progress
      }
    }
  `;
  await new Promise((resolve, reject) => {
    client.subscribe({ query: subscription, variables: { documentId } }).subscribe({
      next: (result) => {
        if (result.error) reject(result.error);
        else print({ type: "next", data: result.data });
      },
      error: reject,
      complete: resolve,
    });
  });
  print({ type: "complete" });
}

const modes = { persisted, subscribe };
if (!modes[mode] || !url) {
  console.error("usage: node apollo.mjs persisted|subscribe HTTP_URL TOKEN [DOCUMENT_ID]");
  process.exit(2);
}
modes[mode]().then(() => process.exit(0), fail);
