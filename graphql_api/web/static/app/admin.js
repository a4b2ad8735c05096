// Admin: every job live (allJobs), users, settings, provider keys (last 4 characters only),
// processing logs with filters. The server enforces ADMIN on each operation; this view only
// arranges them.
import { gql } from "./api.js";
import { formatTime, h, input, select } from "./dom.js";
import { JobTable } from "./job-table.js";
import { jobActions } from "./jobs.js";
import {
  ADD_KEY,
  ALL_JOBS,
  DOCUMENT_ROW_BY_ID,
  DOCUMENTS,
  LOGS,
  PROVIDER_KEYS,
  REMOVE_KEY,
  SETTINGS,
  UPDATE_SETTING,
  UPDATE_USER,
  USERS,
} from "./operations.js";

const head = (...names) => h("thead", null, h("tr", null, names.map((text) => h("th", { scope: "col", text }))));

function allJobs({ live, notify, languages }) {
  const table = new JobTable({ showOwner: true, caption: "All jobs", onStatusChange: (id) => refresh(id) });
  Object.assign(table.actions, jobActions(table, notify, languages));
  async function refresh(id) {
    try {
      const doc = (await gql(DOCUMENT_ROW_BY_ID, { id })).document;
      if (doc) table.upsert(doc);
    } catch (_error) {
      // deleted meanwhile
    }
  }
  async function load() {
    try {
      table.setDocuments((await gql(DOCUMENTS, { first: 50 })).documents.edges.map((edge) => edge.node));
    } catch (error) {
      notify(error.message, "error");
    }
  }
  const unsubscribe = live.subscribe(ALL_JOBS, {}, (data) => {
    const event = data.allJobs;
    if (table.has(event.documentId)) table.applyEvent(event);
    else refresh(event.documentId);
  }, (error) => notify(error.message || "The live job feed failed.", "error"));
  const offReconnect = live.onReconnect(load);
  load();
  const element = h("section", { class: "card", "aria-labelledby": "all-jobs-title" }, h("h2", { id: "all-jobs-title", text: "All jobs" }), table.element);
  return { element, stop: () => { unsubscribe(); offReconnect(); table.destroy(); } };
}

function users({ notify }) {
  const body = h("tbody");
  const more = h("button", { type: "button", text: "More", hidden: true });
  const search = h("input", { type: "search", id: "user-search", placeholder: "Email or name" });
  let after = null;
  let timer = 0;
  function row(user) {
    const role = h("select", { "aria-label": `Role of ${user.email}` }, ["USER", "ADMIN"].map((v) => h("option", { value: v, text: v, selected: v === user.role })));
    const tier = h("select", { "aria-label": `Tier of ${user.email}` }, ["FREE", "PLUS", "PRO"].map((v) => h("option", { value: v, text: v, selected: v === user.tier })));
    const limit = h("input", { type: "number", min: "0", value: String(user.creditsLimit), "aria-label": `Credit limit of ${user.email}`, class: "narrow" });
    const active = h("input", { type: "checkbox", checked: user.isActive, "aria-label": `${user.email} is active` });
    const save = h("button", { type: "button", class: "small", text: "Save", "aria-label": `Save ${user.email}` });
    save.addEventListener("click", async () => {
      try {
        await gql(UPDATE_USER, { id: user.id, input: { role: role.value, tier: tier.value, creditsLimit: Number(limit.value), isActive: active.checked } });
        notify(`Saved ${user.email}.`);
      } catch (error) {
        notify(error.message, "error");
      }
    });
    return h("tr", null, h("td", { text: user.email }), h("td", { text: user.name || "" }), h("td", null, role), h("td", null, tier),
      h("td", null, limit), h("td", { class: "num", text: user.creditsUsed }), h("td", null, active), h("td", { text: formatTime(user.lastActiveAt) }), h("td", null, save));
  }
  async function load(reset) {
    if (reset) { after = null; body.replaceChildren(); }
    try {
      const data = (await gql(USERS, { search: search.value.trim() || null, first: 20, after })).users;
      body.append(...data.edges.map(({ node }) => row(node)));
      after = data.pageInfo.endCursor;
      more.hidden = !data.pageInfo.hasNextPage;
    } catch (error) {
      notify(error.message, "error");
    }
  }
  search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => load(true), 250); });
  more.addEventListener("click", () => load(false));
  load(true);
  const element = h("section", { class: "card", "aria-labelledby": "users-title" },
    h("div", { class: "section-head" }, h("h2", { id: "users-title", text: "Users" }),
      h("div", { class: "field" }, h("label", { for: "user-search", text: "Search users" }), search)),
    h("div", { class: "table-wrap" }, h("table", null, head("Email", "Name", "Role", "Tier", "Credit limit", "Used", "Active", "Last active", ""), body)), more);
  return { element, stop: () => {} };
}

function settings({ notify }) {
  const body = h("tbody");
  async function load() {
    try {
      const list = (await gql(SETTINGS)).settings;
      body.replaceChildren(...list.map((setting) => {
        const value = h("input", { type: setting.secret ? "password" : "text", value: setting.value ?? "", "aria-label": `Value of ${setting.key}` });
        const save = async (newValue) => {
          try {
            await gql(UPDATE_SETTING, { key: setting.key, value: newValue });
            notify(`Saved ${setting.key}.`);
            load();
          } catch (error) {
            notify(error.message, "error");
          }
        };
        return h("tr", null, h("td", null, h("code", { text: setting.key })), h("td", { text: setting.description || "" }), h("td", null, value),
          h("td", { class: "actions" },
            h("button", { type: "button", class: "small", text: "Save", "aria-label": `Save ${setting.key}`, onclick: () => save(value.value) }),
            h("button", { type: "button", class: "small", text: "Default", "aria-label": `Reset ${setting.key}`, onclick: () => save(null) })));
      }));
    } catch (error) {
      notify(error.message, "error");
    }
  }
  load();
  const element = h("section", { class: "card", "aria-labelledby": "settings-title" }, h("h2", { id: "settings-title", text: "Settings" }),
    h("div", { class: "table-wrap" }, h("table", null, head("Key", "Description", "Value", ""), body)));
  return { element, stop: () => {} };
}

function providerKeys({ notify }) {
  const body = h("tbody");
  const form = h("form", { class: "row wrap" },
    select("Provider", "provider", [["openrouter", "OpenRouter"], ["gemini", "Gemini"]], "openrouter"),
    input("API key", "key", { type: "password", autocomplete: "off", required: true }),
    input("Label", "label", {}),
    h("button", { type: "submit", class: "primary", text: "Add key" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = (name) => form.elements.namedItem(name).value.trim();
    try {
      await gql(ADD_KEY, { provider: value("provider"), key: value("key"), label: value("label") || null });
      form.reset();
      notify("Key added.");
      load();
    } catch (error) {
      notify(error.message, "error");
    }
  });
  async function load() {
    try {
      const keys = (await gql(PROVIDER_KEYS)).providerKeys;
      body.replaceChildren(...keys.map((key) => h("tr", null, h("td", { text: key.provider }), h("td", { text: key.label || "" }),
        h("td", null, h("code", { text: `…${key.last4}` })), h("td", { text: key.isActive ? "active" : "paused" }),
        h("td", { class: "num", text: `${key.requests} / ${key.failures}` }), h("td", { text: formatTime(key.lastUsedAt) }),
        h("td", null, h("button", { type: "button", class: "small danger", text: "Remove", "aria-label": `Remove key …${key.last4}`,
          onclick: async () => {
            if (!window.confirm(`Remove the ${key.provider} key …${key.last4}?`)) return;
            try { await gql(REMOVE_KEY, { id: key.id }); load(); } catch (error) { notify(error.message, "error"); }
          } })))));
    } catch (error) {
      notify(error.message, "error");
    }
  }
  load();
  const element = h("section", { class: "card", "aria-labelledby": "keys-title" }, h("h2", { id: "keys-title", text: "Provider keys" }),
    h("div", { class: "table-wrap" }, h("table", null, head("Provider", "Label", "Key", "State", "Requests / failures", "Last used", ""), body)), form);
  return { element, stop: () => {} };
}

function logs({ notify }) {
  const body = h("tbody");
  const more = h("button", { type: "button", text: "More", hidden: true });
  const filters = h("form", { class: "row wrap" },
    select("Level", "level", [["", "All levels"], ["DEBUG", "DEBUG"], ["INFO", "INFO"], ["WARNING", "WARNING"], ["ERROR", "ERROR"]], ""),
    input("Document ID", "documentId", {}),
    h("button", { type: "submit", text: "Filter" }));
  let after = null;
  async function load(reset) {
    if (reset) { after = null; body.replaceChildren(); }
    const value = (name) => filters.elements.namedItem(name).value.trim() || null;
    try {
      const data = (await gql(LOGS, { level: value("level"), documentId: value("documentId"), first: 50, after })).processingLogs;
      body.append(...data.edges.map(({ node }) => h("tr", null, h("td", { text: formatTime(node.at) }), h("td", { text: node.level }),
        h("td", { text: node.stage || "" }), h("td", null, h("a", { href: `#/documents/${encodeURIComponent(node.document.id)}`, text: node.document.filename })),
        h("td", { text: node.message }))));
      after = data.pageInfo.endCursor;
      more.hidden = !data.pageInfo.hasNextPage;
    } catch (error) {
      notify(error.message, "error");
    }
  }
  filters.addEventListener("submit", (event) => { event.preventDefault(); load(true); });
  more.addEventListener("click", () => load(false));
  load(true);
  const element = h("section", { class: "card", "aria-labelledby": "logs-title" }, h("h2", { id: "logs-title", text: "Processing logs" }), filters,
    h("div", { class: "table-wrap" }, h("table", null, head("Time", "Level", "Stage", "Document", "Message"), body)), more);
  return { element, stop: () => {} };
}

const TABS = [["jobs", "All jobs", allJobs], ["users", "Users", users], ["settings", "Settings", settings], ["keys", "Provider keys", providerKeys], ["logs", "Logs", logs]];

export function mountAdmin(container, context) {
  let current = null;
  const panel = h("div", { id: "admin-panel", role: "tabpanel" });
  const tabs = TABS.map(([key, label]) => h("button", { type: "button", role: "tab", id: `tab-${key}`, "aria-controls": "admin-panel", text: label, onclick: () => show(key) }));
  function show(key) {
    if (current) current.stop();
    const [, , make] = TABS.find(([k]) => k === key);
    tabs.forEach((tab, index) => tab.setAttribute("aria-selected", String(TABS[index][0] === key)));
    panel.setAttribute("aria-labelledby", `tab-${key}`);
    current = make(context);
    panel.replaceChildren(current.element);
  }
  container.replaceChildren(h("h1", { text: "Administration" }), h("div", { class: "tabs", role: "tablist", "aria-label": "Administration" }, tabs), panel);
  show("jobs");
  return () => { if (current) current.stop(); };
}
