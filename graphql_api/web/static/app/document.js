// One document: its content streamed page by page while it is extracted (documentPages),
// live status (jobProgress), downloads once the formats exist, and its processing log.
import { gql } from "./api.js";
import { formatBytes, formatDuration, formatTime, h, safeHref, setText } from "./dom.js";
import { renderPage } from "./content.js";
import { DOCUMENT_CONTENT, DOCUMENT_PAGES, DOCUMENT_VIEW, JOB_PROGRESS, TERMINAL } from "./operations.js";

const DOWNLOADS = [
  ["json", "JSON"],
  ["markdown", "Markdown"],
  ["text", "Text"],
  ["original", "Original PDF"],
  ["translated", "Translated PDF"],
  ["dual", "Dual-language PDF"],
];

export function mountDocument(container, id, { live, notify }) {
  const title = h("h1", { text: "Document" });
  const badge = h("span", { class: "badge" });
  const stage = h("span", { class: "muted" });
  const barFill = h("div", { class: "bar-fill" });
  const bar = h("div", { class: "bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-label": "Progress" }, barFill);
  const facts = h("dl", { class: "facts" });
  const downloads = h("div", { class: "downloads", "aria-label": "Downloads", role: "group" });
  const pages = h("div", { class: "content", "aria-live": "off" });
  const contentStatus = h("p", { class: "muted", "aria-live": "polite", text: "Waiting for the first page…" });
  const logBody = h("tbody");
  const rendered = new Map(); // page number -> section
  let unsubscribePages = null;
  let unsubscribeProgress = null;
  let finalShown = false;

  function showProgress(status, stageName, progress) {
    setText(badge, status);
    badge.className = `badge status-${status.toLowerCase()}`;
    setText(stage, stageName);
    const percent = Math.round((status === "COMPLETED" ? 1 : progress || 0) * 100);
    barFill.style.width = `${percent}%`;
    bar.setAttribute("aria-valuenow", String(percent));
  }

  function placePage(page, blocks) {
    const section = renderPage(page, blocks);
    const old = rendered.get(page);
    if (old) old.replaceWith(section);
    else {
      // Pages can arrive out of order (page ranges run in parallel): insert in page order.
      const after = Array.from(rendered.keys()).filter((n) => n > page).sort((a, b) => a - b)[0];
      if (after !== undefined) pages.insertBefore(section, rendered.get(after));
      else pages.append(section);
    }
    rendered.set(page, section);
  }

  async function load() {
    let doc;
    try {
      doc = (await gql(DOCUMENT_VIEW, { id })).document;
    } catch (error) {
      notify(error.message, "error");
      return null;
    }
    if (!doc) {
      container.replaceChildren(h("p", { class: "card", text: "This document does not exist (or is not yours)." }));
      return null;
    }
    setText(title, doc.filename);
    showProgress(doc.status, doc.stage, doc.progress);
    facts.replaceChildren(
      ...[
        ["Size", formatBytes(doc.sizeBytes)],
        ["Pages", doc.pageCount ?? "–"],
        ["Type", doc.pdfType || "–"],
        ["Engine", doc.engine || doc.options.engine],
        ["Credits", doc.creditsUsed],
        ["Processing time", doc.processingMs != null ? formatDuration(doc.processingMs) : "–"],
        ["Uploaded", formatTime(doc.createdAt)],
        ["Cached result", doc.cached ? "yes" : "no"],
        ["Error", doc.error ? `${doc.error.code}: ${doc.error.message}` : null],
      ]
        .filter(([, value]) => value !== null)
        .flatMap(([term, value]) => [h("dt", { text: term }), h("dd", { text: value })]),
    );
    const links = DOWNLOADS.filter(([field]) => safeHref(doc[field])).map(([field, label]) =>
      h("a", { class: "button", href: safeHref(doc[field]), download: "", text: label }),
    );
    downloads.replaceChildren(...(links.length ? links : [h("span", { class: "muted", text: "Downloads appear when the job is done." })]));
    logBody.replaceChildren(
      ...doc.logs.edges.map(({ node }) =>
        h("tr", null, h("td", { text: formatTime(node.at) }), h("td", { text: node.level }), h("td", { text: node.stage || "" }), h("td", { text: node.message })),
      ),
    );
    return doc;
  }

  async function showFinalContent() {
    if (finalShown) return;
    try {
      const data = await gql(DOCUMENT_CONTENT, { id });
      const content = data.document && data.document.content;
      if (!content) return;
      finalShown = true;
      const byPage = new Map();
      for (const block of content.blocks) {
        if (!byPage.has(block.page)) byPage.set(block.page, []);
        byPage.get(block.page).push(block);
      }
      for (const [page, blocks] of byPage) placePage(page, blocks);
      setText(contentStatus, `${content.pageCount} page${content.pageCount === 1 ? "" : "s"}${content.title ? ` · ${content.title}` : ""}`);
    } catch (error) {
      notify(error.message, "error");
    }
  }

  function subscribe() {
    if (unsubscribePages) unsubscribePages();
    if (unsubscribeProgress) unsubscribeProgress();
    unsubscribePages = live.subscribe(
      DOCUMENT_PAGES,
      { documentId: id },
      (data) => {
        const result = data.documentPages;
        if (!finalShown) {
          placePage(result.page, result.blocks);
          setText(contentStatus, `Extracting… ${rendered.size} of ${result.pageCount} pages`);
        }
      },
      () => {},
      async () => {
        const doc = await load();
        if (doc && doc.status === "COMPLETED") showFinalContent();
        else if (doc && TERMINAL.has(doc.status)) setText(contentStatus, `The job ended: ${doc.status}.`);
      },
    );
    unsubscribeProgress = live.subscribe(
      JOB_PROGRESS,
      { documentId: id },
      (data) => {
        const event = data.jobProgress;
        showProgress(event.status, event.stage, event.progress);
      },
      () => {},
      () => load(),
    );
  }

  container.replaceChildren(
    h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "#/", text: "← My documents" })),
    h("header", { class: "doc-head card" }, title, h("div", { class: "row" }, badge, stage), bar, facts, downloads),
    h("section", { class: "card", "aria-labelledby": "content-title" }, h("h2", { id: "content-title", text: "Content" }), contentStatus, pages),
    h(
      "section",
      { class: "card", "aria-labelledby": "log-title" },
      h("h2", { id: "log-title", text: "Processing log" }),
      h("div", { class: "table-wrap" }, h("table", { class: "log" },
        h("thead", null, h("tr", null, ["Time", "Level", "Stage", "Message"].map((text) => h("th", { scope: "col", text })))),
        logBody)),
    ),
  );

  load().then((doc) => {
    if (!doc) return;
    if (doc.status === "COMPLETED") showFinalContent();
    subscribe();
  });
  // After a drop: re-read the document (its final state may have been reached meanwhile).
  const offReconnect = live.onReconnect(async () => {
    const doc = await load();
    if (doc && doc.status === "COMPLETED") showFinalContent();
  });

  return () => {
    offReconnect();
    if (unsubscribePages) unsubscribePages();
    if (unsubscribeProgress) unsubscribeProgress();
  };
}
