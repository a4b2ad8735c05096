// Every live view over one graphql-ws (graphql-transport-ws) socket. The token goes in
// connection_init. After a drop it reconnects with backoff; graphql-ws re-subscribes every
// active subscription by itself, and views registered with onReconnect re-read their state
// (events missed while offline are not replayed, so a job that finished meanwhile would
// otherwise look stuck). A 4403 close (refused token) stops retrying and ends the session.
/* global graphqlWs */
import { WS_ENDPOINT, session } from "./api.js";

const FORBIDDEN = 4403;

export function openLive(onState) {
  let connectedBefore = false;
  let stopped = false;
  const reconnectListeners = new Set();

  const client = graphqlWs.createClient({
    url: WS_ENDPOINT,
    lazy: false,
    connectionParams: () => ({ Authorization: `Bearer ${session.token}` }),
    retryAttempts: Number.POSITIVE_INFINITY,
    // 0.5 s doubling to 8 s, with jitter so a restarted server is not hit by every tab at once.
    retryWait: (retries) =>
      new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** retries, 8000) * (0.75 + Math.random() / 2))),
    shouldRetry: (event) => !(event && event.code === FORBIDDEN) && !stopped,
    keepAlive: 10000, // our pings notice a dead connection even when the server says nothing
    onNonLazyError: () => {},
    on: {
      connecting: () => onState(connectedBefore ? "reconnecting" : "connecting"),
      connected: () => {
        onState("live");
        if (connectedBefore) for (const listener of reconnectListeners) listener();
        connectedBefore = true;
      },
      closed: (event) => {
        if (stopped) return;
        if (event && event.code === FORBIDDEN) {
          stopped = true;
          onState("offline");
          const why = event.reason ? ` (${event.reason})` : "";
          // After graphql-ws has finished with this close: disposing from inside its own
          // "closed" event leaves one of its promises rejected with nobody listening.
          setTimeout(() => session.end(`Your session is no longer valid${why}. Please sign in again.`));
          return;
        }
        onState("reconnecting");
      },
    },
  });

  return {
    /** Returns a function that unsubscribes. `onData` gets `data`; errors go to `onError`. */
    subscribe(query, variables, onData, onError, onComplete) {
      return client.subscribe(
        { query, variables: variables || {} },
        {
          next: (result) => {
            if (result.errors && result.errors.length) {
              if (onError) onError(result.errors[0]);
            } else if (result.data) onData(result.data);
          },
          error: (error) => {
            if (onError) onError(error);
          },
          complete: () => {
            if (onComplete) onComplete();
          },
        },
      );
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    close() {
      stopped = true;
      client.dispose();
    },
  };
}
