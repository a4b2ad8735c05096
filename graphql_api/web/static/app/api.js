// Queries and mutations over HTTP POST (uploads by the GraphQL multipart request spec), and the
// signed-in session. The token lives in sessionStorage: it survives reloads of this tab, is not
// shared with other tabs, and is gone when the tab closes; the page's CSP forbids any script but
// our own files, which is what keeps it from being read (README: "Where the token is kept").

const ENDPOINT = new URL("graphql", document.baseURI).href;
const TOKEN_KEY = "docat.token";
const EXPIRES_KEY = "docat.expiresAt";

export class ApiError extends Error {
  constructor(message, code, extensions) {
    super(message);
    this.code = code || "INTERNAL";
    this.extensions = extensions || {};
  }
}

const listeners = new Set();
let expiryTimer = null;

export const session = {
  get token() {
    return window.sessionStorage.getItem(TOKEN_KEY);
  },
  get expiresAt() {
    const value = window.sessionStorage.getItem(EXPIRES_KEY);
    return value ? new Date(value) : null;
  },
  start(payload) {
    window.sessionStorage.setItem(TOKEN_KEY, payload.accessToken);
    window.sessionStorage.setItem(EXPIRES_KEY, payload.expiresAt);
    this.watchExpiry();
    emit({ signedIn: true });
  },
  /** Ends the session; `message` is shown on the sign-in screen (expired, refused). */
  end(message) {
    const hadToken = Boolean(this.token);
    window.sessionStorage.removeItem(TOKEN_KEY);
    window.sessionStorage.removeItem(EXPIRES_KEY);
    clearTimeout(expiryTimer);
    if (hadToken || message) emit({ signedIn: false, message });
  },
  watchExpiry() {
    clearTimeout(expiryTimer);
    const expires = this.expiresAt;
    if (!expires) return;
    const left = expires.getTime() - Date.now();
    if (left <= 0) {
      this.end("Your session has expired. Please sign in again.");
      return;
    }
    // setTimeout's limit is ~24.8 days; tokens live far shorter.
    expiryTimer = setTimeout(() => this.end("Your session has expired. Please sign in again."), Math.min(left, 2 ** 31 - 1));
  },
  onChange(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

function emit(change) {
  for (const listener of listeners) listener(change);
}

function authHeaders() {
  const token = session.token;
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function readResult(response) {
  let body = null;
  try {
    body = await response.json();
  } catch (_error) {
    const code = response.status === 413 ? "PAYLOAD_TOO_LARGE" : "INTERNAL";
    const message = response.status === 413 ? "The file is too large." : `The server answered ${response.status}.`;
    throw new ApiError(message, code);
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    const extensions = first.extensions || {};
    const error = new ApiError(first.message, extensions.code, extensions);
    if (error.code === "UNAUTHENTICATED" && session.token) {
      session.end("Your session has expired. Please sign in again.");
    }
    throw error;
  }
  if (!body.data) throw new ApiError(`The server answered ${response.status}.`, "INTERNAL");
  return body.data;
}

async function post(init) {
  let response;
  try {
    response = await fetch(ENDPOINT, Object.assign({ method: "POST", credentials: "omit" }, init));
  } catch (_error) {
    throw new ApiError("The server cannot be reached.", "SERVICE_UNAVAILABLE", { retryable: true });
  }
  return readResult(response);
}

export function gql(query, variables) {
  return post({
    headers: Object.assign(
      { "Content-Type": "application/json", Accept: "application/graphql-response+json, application/json" },
      authHeaders(),
    ),
    body: JSON.stringify({ query, variables: variables || {} }),
  });
}

/** A mutation with one file at `variables.<fileVariable>` (the multipart request spec). */
export function gqlUpload(query, variables, fileVariable, file) {
  const form = new FormData();
  form.append("operations", JSON.stringify({ query, variables: Object.assign({}, variables, { [fileVariable]: null }) }));
  form.append("map", JSON.stringify({ 0: [`variables.${fileVariable}`] }));
  form.append("0", file, file.name);
  return post({ headers: authHeaders(), body: form });
}

export const WS_ENDPOINT = ENDPOINT.replace(/^http/, "ws");
