// The dashboard's shell: session, header (navigation, connection state, sign out), routes.
// Routes live in the URL's fragment (#/, #/documents/<id>, #/usage, #/admin), so the server
// serves one page and no route needs a token in a URL.
import { gql, session } from "./api.js";
import { h, setText } from "./dom.js";
import { mountAdmin } from "./admin.js";
import { mountDocument } from "./document.js";
import { mountJobs } from "./jobs.js";
import { openLive } from "./live.js";
import { LANGUAGES, ME } from "./operations.js";
import { mountSignIn } from "./signin.js";
import { mountUsage } from "./usage.js";

const root = document.getElementById("app");
const CONNECTION_TEXT = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", offline: "Offline" };

let live = null;
let unmount = () => {};
let onRoute = null;

function notifier(region) {
  return (message, kind) => {
    const item = h("div", { class: `toast ${kind === "error" ? "error" : ""}`, role: kind === "error" ? "alert" : "status", text: message });
    region.append(item);
    setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
  };
}

function signOut(message) {
  if (onRoute) window.removeEventListener("hashchange", onRoute);
  onRoute = null;
  unmount();
  unmount = () => {};
  if (live) live.close();
  live = null;
  mountSignIn(root, message);
}

async function signedIn() {
  let me;
  try {
    me = (await gql(ME)).me;
  } catch (error) {
    // UNAUTHENTICATED already ended the session (api.js) with the "expired" message.
    if (error.code !== "UNAUTHENTICATED") session.end(error.message);
    return;
  }
  if (!me) return session.end("Your session has expired. Please sign in again.");
  let languages = [];
  gql(LANGUAGES).then((data) => { languages = data.supportedLanguages; }).catch(() => {});

  const connection = h("span", { class: "connection connecting", role: "status", "aria-live": "polite", text: CONNECTION_TEXT.connecting });
  const link = (href, text) => h("a", { href, text });
  const nav = h("nav", { class: "nav", "aria-label": "Main" },
    link("#/", "Documents"), link("#/usage", "Usage"), me.role === "ADMIN" ? link("#/admin", "Admin") : null,
    h("a", { href: "graphql", text: "GraphiQL" }));
  const toasts = h("div", { class: "toasts" });
  const main = h("main", { id: "main", tabindex: "-1" });
  root.replaceChildren(
    h("header", { class: "topbar" },
      h("a", { class: "brand", href: "#/" }, h("span", { class: "logo", "aria-hidden": "true" }), "PDF Docat"),
      nav,
      h("div", { class: "who" }, connection, h("span", { class: "email", text: me.email }),
        h("button", { type: "button", text: "Sign out", onclick: () => session.end() }))),
    main,
    toasts,
  );
  const notify = notifier(toasts);
  live = openLive((state) => {
    setText(connection, CONNECTION_TEXT[state]);
    connection.className = `connection ${state}`;
  });
  const context = { live, notify, me, languages: () => languages };

  onRoute = () => {
    unmount();
    const hash = window.location.hash || "#/";
    for (const anchor of nav.querySelectorAll("a")) {
      const target = anchor.getAttribute("href");
      if (target.startsWith("#")) anchor.toggleAttribute("aria-current", target === "#/" ? hash === "#/" || hash.startsWith("#/documents") : hash.startsWith(target));
    }
    const documentMatch = hash.match(/^#\/documents\/([^/]+)$/);
    if (documentMatch) unmount = mountDocument(main, decodeURIComponent(documentMatch[1]), context);
    else if (hash === "#/usage") unmount = mountUsage(main, context);
    else if (hash === "#/admin" && me.role === "ADMIN") unmount = mountAdmin(main, context);
    else unmount = mountJobs(main, context);
  };
  window.addEventListener("hashchange", onRoute);
  onRoute();
}

session.onChange((change) => (change.signedIn ? signedIn() : signOut(change.message)));
if (session.token) {
  session.watchExpiry();
  if (session.token) signedIn();
} else {
  mountSignIn(root, null);
}
