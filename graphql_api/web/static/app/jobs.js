// "My jobs": upload (picker, drag and drop, several files, options), then the caller's
// documents (search, status filter, paging) kept live by the myJobs subscription.
import { ApiError, gql, gqlUpload } from "./api.js";
import { h, input, select } from "./dom.js";
import { JobTable } from "./job-table.js";
import { optionsFields, readOptions } from "./options.js";
import {
  CANCEL,
  DELETE,
  DOCUMENT_ROW_BY_ID,
  DOCUMENTS,
  MY_JOBS,
  REPROCESS,
  STATUSES,
  UPLOAD,
} from "./operations.js";

const PAGE_SIZE = 20;

export function jobActions(table, notify, languages) {
  return {
    cancel: async (id) => {
      try {
        table.upsert((await gql(CANCEL, { id })).cancelDocument);
      } catch (error) {
        notify(error.message, "error");
      }
    },
    reprocess: (id, name) => reprocessDialog(name, languages(), async (options) => {
      table.upsert((await gql(REPROCESS, { id, options })).reprocessDocument);
    }),
    remove: async (id, name) => {
      if (!window.confirm(`Delete ${name}, its results and its logs?`)) return;
      try {
        await gql(DELETE, { id });
        table.remove(id);
        notify(`Deleted ${name}.`);
      } catch (error) {
        notify(error.message, "error");
      }
    },
  };
}

function reprocessDialog(name, languages, submit) {
  const message = h("p", { class: "form-error", role: "alert" });
  const form = h(
    "form",
    { method: "dialog" },
    h("h2", { text: `Reprocess ${name}` }),
    optionsFields(languages),
    message,
    h(
      "div",
      { class: "row" },
      h("button", { type: "submit", class: "primary", text: "Reprocess" }),
      h("button", { type: "button", text: "Close", onclick: () => dialog.close() }),
    ),
  );
  const dialog = h("dialog", { "aria-label": `Reprocess ${name}` }, form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await submit(readOptions(form));
      dialog.close();
    } catch (error) {
      message.textContent = error.message;
    }
  });
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

export function mountJobs(container, { live, notify, languages }) {
  const filters = { search: "", status: "" };
  let cursors = [null]; // cursor of each page shown so far; the last is the current page's
  let pageInfo = { hasNextPage: false, endCursor: null };
  let total = 0;

  const table = new JobTable({
    caption: "My documents",
    onStatusChange: (id) => refreshRow(id),
  });
  Object.assign(table.actions, jobActions(table, notify, languages));

  // ---- upload ----
  const status = h("ul", { class: "upload-status", "aria-live": "polite" });
  const picker = h("input", { type: "file", id: "upload-files", name: "files", accept: "application/pdf,.pdf", multiple: true });
  const uploadForm = h(
    "form",
    { class: "upload card", "aria-labelledby": "upload-title" },
    h("h2", { id: "upload-title", text: "Upload PDFs" }),
    h(
      "div",
      { class: "drop", tabindex: "-1" },
      h("label", { for: "upload-files", text: "Choose PDF files or drop them here" }),
      picker,
    ),
    optionsFields(languages()),
    h("button", { type: "submit", class: "primary", text: "Upload" }),
    status,
  );
  const drop = uploadForm.querySelector(".drop");
  for (const name of ["dragenter", "dragover"]) {
    drop.addEventListener(name, (event) => {
      event.preventDefault();
      drop.classList.add("over");
    });
  }
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    uploadFiles(Array.from(event.dataTransfer.files));
  });
  uploadForm.addEventListener("submit", (event) => {
    event.preventDefault();
    uploadFiles(Array.from(picker.files));
    picker.value = "";
  });

  function uploadFiles(files) {
    if (!files.length) return notify("Choose at least one PDF first.", "error");
    const options = readOptions(uploadForm);
    for (const file of files) uploadOne(file, options);
  }

  async function uploadOne(file, options, item) {
    const line = item || h("li", null);
    if (!item) status.prepend(line);
    line.replaceChildren(`Uploading ${file.name}…`);
    line.className = "";
    try {
      const doc = (await gqlUpload(UPLOAD, { options }, "file", file)).uploadDocument;
      line.replaceChildren(`${file.name}: ${doc.status === "COMPLETED" ? "done (cached result)" : "queued"}.`);
      if (!table.has(doc.id)) showTotal(total + 1);
      table.upsert(doc);
    } catch (error) {
      line.className = "error";
      if (error instanceof ApiError && error.code === "ENCRYPTED_PDF") {
        line.replaceChildren(passwordPrompt(file, options, line, error.message));
      } else {
        line.replaceChildren(`${file.name}: ${error.message}`);
      }
    }
  }

  function passwordPrompt(file, options, line, message) {
    const form = h(
      "form",
      { class: "password-prompt" },
      h("span", { text: `${file.name}: ${message}` }),
      input(`Password for ${file.name}`, "password", { type: "password", autocomplete: "off", required: true }),
      h("button", { type: "submit", text: "Retry" }),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const password = form.elements.namedItem("password").value;
      uploadOne(file, Object.assign({}, options, { password }), line);
    });
    setTimeout(() => form.querySelector("input").focus());
    return form;
  }

  // ---- list ----
  const summary = h("p", { class: "muted", "aria-live": "polite" });
  const previous = h("button", { type: "button", text: "Previous", onclick: () => go(-1) });
  const next = h("button", { type: "button", text: "Next", onclick: () => go(1) });
  const searchInput = h("input", { type: "search", id: "job-search", name: "search", placeholder: "File name" });
  let searchTimer = 0;
  searchInput.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      filters.search = searchInput.value.trim();
      cursors = [null];
      load();
    }, 250);
  });
  const statusFilter = select("Status", "status", [["", "All"], ...STATUSES.map((s) => [s, s])], "");
  statusFilter.querySelector("select").addEventListener("change", (event) => {
    filters.status = event.target.value;
    cursors = [null];
    load();
  });

  async function load() {
    try {
      const data = await gql(DOCUMENTS, {
        first: PAGE_SIZE,
        after: cursors[cursors.length - 1],
        status: filters.status || null,
        search: filters.search || null,
      });
      const connection = data.documents;
      pageInfo = connection.pageInfo;
      table.setDocuments(connection.edges.map((edge) => edge.node));
      previous.disabled = cursors.length <= 1;
      next.disabled = !pageInfo.hasNextPage;
      showTotal(connection.totalCount);
    } catch (error) {
      notify(error.message, "error");
    }
  }

  function showTotal(count) {
    total = count;
    summary.textContent = `${total} document${total === 1 ? "" : "s"}`;
  }

  function go(step) {
    if (step > 0 && pageInfo.hasNextPage) cursors.push(pageInfo.endCursor);
    if (step < 0 && cursors.length > 1) cursors.pop();
    load();
  }

  async function refreshRow(id) {
    try {
      const doc = (await gql(DOCUMENT_ROW_BY_ID, { id })).document;
      if (doc) table.upsert(doc);
    } catch (_error) {
      // A row that vanished (deleted elsewhere) simply stays as it was until the next load.
    }
  }

  function onFirstPageUnfiltered() {
    return cursors.length === 1 && !filters.search && !filters.status;
  }

  const unsubscribe = live.subscribe(MY_JOBS, {}, (data) => {
    const event = data.myJobs;
    if (table.has(event.documentId)) table.applyEvent(event);
    else if (onFirstPageUnfiltered()) refreshRow(event.documentId); // a job started elsewhere
  }, (error) => notify(error.message || "The live job feed failed.", "error"));
  // Events missed while the socket was down are not replayed: read the true state again.
  const offReconnect = live.onReconnect(load);

  container.replaceChildren(
    uploadForm,
    h(
      "section",
      { class: "card", "aria-labelledby": "jobs-title" },
      h("div", { class: "section-head" },
        h("h2", { id: "jobs-title", text: "My documents" }),
        h("div", { class: "filters" },
          h("div", { class: "field" }, h("label", { for: "job-search", text: "Search" }), searchInput),
          statusFilter),
      ),
      table.element,
      h("div", { class: "pager" }, summary, previous, next),
    ),
  );
  load();

  return () => {
    unsubscribe();
    offReconnect();
    table.destroy();
  };
}
