// Apollo Client 4's normalized cache, updated by subscription events alone.
//
//   node apollo_cache.mjs HTTP_URL WS_URL TOKEN DOCUMENT_ID
//
// Queries the Document once over HTTP, watches it in the cache, then follows jobProgress over
// GraphQLWsLink selecting `document { id status ... }`. No further HTTP request is made: every
// change of the cached Document comes from the events. Prints JSON lines:
//   {"type":"cached","document":{...}}            after the query
//   {"type":"subscribed"}                         once the socket is acknowledged
//   {"type":"next","event":{...},"cached":{...}}  per event: the event, then the cache's Document
//   {"type":"complete","cached":{...},"watched":[statuses],"httpRequests":N}   (exit 0)
//   {"type":"error",...}                          (exit 1)
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { getMainDefinition } from "@apollo/client/utilities";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [httpUrl, wsUrl, token, documentId] = process.argv.slice(2);
if (!httpUrl || !wsUrl || !token || !documentId) {
  console.error("usage: node apollo_cache.mjs HTTP_URL WS_URL TOKEN DOCUMENT_ID");
  process.exit(2);
}
const TIMEOUT_MS = Number(process.env.TIMEOUT_MS || 120000);
const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const fail = (detail) => {
  print({ type: "error", ...detail });
  process.exit(1);
};
setTimeout(() => fail({ message: `no completion within ${TIMEOUT_MS} ms` }), TIMEOUT_MS).unref();

const DOCUMENT = gql`
  query Document($id: ID!) {
    document(id: $id) { id status stage progress }
  }
`;
const PROGRESS = gql`
  subscription Progress($documentId: ID!) {
    jobProgress(documentId: $documentId) {
      status stage progress
      document { id status stage progress }
    }
  }
`;
const FIELDS = gql`
  fragment CachedDocument on Document { id status stage progress }
`;

let httpRequests = 0;
const countingFetch = (...args) => {
  httpRequests += 1;
  return fetch(...args);
};
const headers = { Authorization: `Bearer ${token}` };
const wsClient = createClient({
  url: wsUrl,
  webSocketImpl: WebSocket,
  connectionParams: headers,
  retryAttempts: 0,
  on: { connected: () => print({ type: "subscribed" }) },
});
const isSubscription = ({ query }) => {
  const definition = getMainDefinition(query);
  return definition.kind === "OperationDefinition" && definition.operation === "subscription";
};
const client = new ApolloClient({
  cache: new InMemoryCache(),
  link: ApolloLink.split(
    isSubscription,
    new GraphQLWsLink(wsClient),
    new HttpLink({ uri: httpUrl, headers, fetch: countingFetch }),
  ),
});

const cached = () =>
  client.cache.readFragment({
    id: client.cache.identify({ __typename: "Document", id: documentId }),
    fragment: FIELDS,
  });

const first = await client.query({ query: DOCUMENT, variables: { id: documentId } });
if (first.error) fail({ message: String(first.error) });
print({ type: "cached", document: cached() });

// A component's view of the document: it re-renders from the cache, never refetches.
const watched = [];
client
  .watchQuery({ query: DOCUMENT, variables: { id: documentId }, fetchPolicy: "cache-only" })
  .subscribe({ next: (result) => result.data && watched.push(result.data.document.status) });

client.subscribe({ query: PROGRESS, variables: { documentId } }).subscribe({
  next: (result) => {
    if (result.error) fail({ message: String(result.error) });
    const { document, ...event } = result.data.jobProgress;
    print({ type: "next", event, cached: cached() });
  },
  error: (error) => fail({ message: String(error?.message ?? error) }),
  complete: async () => {
    // Let the watcher see the last cache write before reporting.
    await new Promise((resolve) => setTimeout(resolve, 50));
    print({ type: "complete", cached: cached(), watched, httpRequests });
    await wsClient.dispose();
    process.exit(0);
  },
});
