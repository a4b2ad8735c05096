// A table of jobs keyed by document id. Live events are coalesced per animation frame and
// patch only the cells of the rows they name, so 500 rows under 20 events a second cost a
// few text updates per frame, never a re-render of the list.
import { formatDuration, h, setText } from "./dom.js";
import { TERMINAL } from "./operations.js";

export class JobTable {
  constructor({ showOwner = false, caption, onStatusChange, actions }) {
    this.showOwner = showOwner;
    this.onStatusChange = onStatusChange || (() => {});
    this.actions = actions || {};
    this.rows = new Map();
    this.pending = new Map();
    this.frame = 0;
    this.body = h("tbody");
    this.empty = h("p", { class: "muted empty", text: "No documents yet." });
    const headers = ["File", showOwner && "Owner", "Status", "Stage", "Progress", "Pages", "Credits", "Elapsed", "Actions"];
    this.table = h(
      "table",
      { class: "jobs" },
      h("caption", { class: "sr-only", text: caption || "Jobs" }),
      h("thead", null, h("tr", null, headers.filter(Boolean).map((text) => h("th", { scope: "col", text })))),
      this.body,
    );
    this.element = h("div", { class: "table-wrap" }, this.table, this.empty);
    this.ticker = setInterval(() => this.tick(), 1000);
  }

  destroy() {
    clearInterval(this.ticker);
    cancelAnimationFrame(this.frame);
  }

  /** Show exactly these documents, in this order (rows that stay are reused). */
  setDocuments(docs) {
    const keep = new Set(docs.map((doc) => doc.id));
    for (const [id, row] of this.rows) {
      if (!keep.has(id)) {
        row.tr.remove();
        this.rows.delete(id);
      }
    }
    for (const doc of docs) this.body.append(this.rowFor(doc).tr);
    this.refreshEmpty();
  }

  has(id) {
    return this.rows.has(id);
  }

  /** Insert at the top, or update in place. */
  upsert(doc, atTop = true) {
    const existed = this.rows.has(doc.id);
    const row = this.rowFor(doc);
    if (!existed) {
      if (atTop) this.body.prepend(row.tr);
      else this.body.append(row.tr);
    }
    this.refreshEmpty();
  }

  remove(id) {
    const row = this.rows.get(id);
    if (row) row.tr.remove();
    this.rows.delete(id);
    this.refreshEmpty();
  }

  /** A JobProgress event; applied on the next frame (later events for one row win). */
  applyEvent(event) {
    const previous = this.pending.get(event.documentId);
    this.pending.set(event.documentId, previous ? Object.assign(previous, event) : Object.assign({}, event));
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.frame = 0;
    const events = Array.from(this.pending.values());
    this.pending.clear();
    for (const event of events) {
      const row = this.rows.get(event.documentId);
      if (!row) continue;
      const statusChanged = row.doc.status !== event.status;
      Object.assign(row.doc, {
        status: event.status,
        stage: event.stage,
        progress: event.progress,
        pageCount: event.pageCount ?? row.doc.pageCount,
        page: event.page ?? row.doc.page,
      });
      if (statusChanged && event.status === "PROCESSING" && !row.doc.startedAt) row.doc.startedAt = new Date().toISOString();
      this.paint(row);
      if (statusChanged) this.onStatusChange(event.documentId, event.status);
    }
  }

  refreshEmpty() {
    this.empty.hidden = this.rows.size > 0;
    this.table.hidden = this.rows.size === 0;
  }

  rowFor(doc) {
    let row = this.rows.get(doc.id);
    if (row) {
      Object.assign(row.doc, doc);
      this.paint(row);
      return row;
    }
    const cells = {
      file: h("a", { href: `#/documents/${encodeURIComponent(doc.id)}`, class: "file" }),
      owner: h("td", { class: "owner" }),
      status: h("span", { class: "badge" }),
      stage: h("td", { class: "stage" }),
      bar: h("div", { class: "bar-fill" }),
      barWrap: null,
      percent: h("span", { class: "percent" }),
      pages: h("td", { class: "num pages" }),
      credits: h("td", { class: "num credits" }),
      elapsed: h("td", { class: "num elapsed" }),
      actions: h("td", { class: "actions" }),
    };
    cells.barWrap = h("div", { class: "bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100" }, cells.bar);
    const tr = h(
      "tr",
      { dataset: { id: doc.id } },
      h("td", { class: "name" }, cells.file, h("span", { class: "error-text" })),
      this.showOwner && cells.owner,
      h("td", null, cells.status),
      cells.stage,
      h("td", { class: "progress" }, cells.barWrap, cells.percent),
      cells.pages,
      cells.credits,
      cells.elapsed,
      cells.actions,
    );
    row = { tr, cells, doc: Object.assign({}, doc), actionsFor: null };
    this.rows.set(doc.id, row);
    this.paint(row);
    return row;
  }

  paint(row) {
    const { doc, cells, tr } = row;
    setText(cells.file, doc.filename);
    if (this.showOwner) setText(cells.owner, doc.owner ? doc.owner.email : "");
    setText(cells.status, doc.status);
    cells.status.className = `badge status-${doc.status.toLowerCase()}`;
    tr.dataset.status = doc.status;
    setText(cells.stage, doc.stage);
    const percent = Math.round((doc.status === "COMPLETED" ? 1 : doc.progress || 0) * 100);
    cells.bar.style.width = `${percent}%`;
    cells.barWrap.setAttribute("aria-valuenow", String(percent));
    cells.barWrap.setAttribute("aria-label", `${doc.filename}: ${percent}%`);
    setText(cells.percent, `${percent}%`);
    const total = doc.pageCount;
    const done = doc.status === "COMPLETED" ? total : doc.page || 0;
    setText(cells.pages, total ? `${done ?? 0} / ${total}` : "–");
    setText(cells.credits, doc.creditsUsed ?? 0);
    setText(tr.querySelector(".error-text"), doc.error ? `${doc.error.code}: ${doc.error.message}` : "");
    this.paintElapsed(row);
    const kind = TERMINAL.has(doc.status) ? "done" : "running";
    if (row.actionsFor !== kind) {
      row.actionsFor = kind;
      cells.actions.replaceChildren(...this.buttonsFor(doc, kind));
    }
  }

  paintElapsed(row) {
    const { doc, cells } = row;
    if (!doc.startedAt) return setText(cells.elapsed, "–");
    const end = doc.finishedAt && TERMINAL.has(doc.status) ? new Date(doc.finishedAt) : new Date();
    setText(cells.elapsed, formatDuration(end - new Date(doc.startedAt)));
  }

  tick() {
    for (const row of this.rows.values()) {
      if (!TERMINAL.has(row.doc.status)) this.paintElapsed(row);
    }
  }

  buttonsFor(doc, kind) {
    const id = doc.id;
    const name = () => this.rows.get(id)?.doc.filename || "";
    const button = (text, handler, cls) =>
      h("button", {
        type: "button",
        class: `small ${cls || ""}`,
        text,
        "aria-label": `${text} ${doc.filename}`,
        onclick: () => handler(id, name()),
      });
    const buttons = [];
    if (kind === "running" && this.actions.cancel) buttons.push(button("Cancel", this.actions.cancel));
    if (kind === "done" && this.actions.reprocess) buttons.push(button("Reprocess", this.actions.reprocess));
    if (this.actions.remove) buttons.push(button("Delete", this.actions.remove, "danger"));
    return buttons;
  }
}
