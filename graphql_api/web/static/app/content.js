// ContentBlocks as DOM: title, headings, paragraphs, lists, tables, image placeholders; a
// translated column beside the original when the block has one. Text goes in as text nodes
// only (dom.h): a PDF that says <script> shows the word "<script>".
import { h } from "./dom.js";

function tableOf(headers, rows, label) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "content-table" },
      h("caption", { class: "sr-only", text: label }),
      headers && headers.length ? h("thead", null, h("tr", null, headers.map((cell) => h("th", { scope: "col", text: cell })))) : null,
      h("tbody", null, rows.map((row) => h("tr", null, row.map((cell) => h("td", { text: cell }))))),
    ),
  );
}

function original(block) {
  switch (block.type) {
    case "TITLE":
      return h("h2", { class: "doc-title", text: block.text });
    case "HEADING": {
      const level = Math.min(6, Math.max(3, (block.level || 1) + 2));
      return h(`h${level}`, { class: "doc-heading", text: block.text });
    }
    case "LIST_ITEM":
      return h("li", { text: block.text });
    case "TABLE":
      return block.table ? tableOf(block.table.headers, block.table.rows, `Table on page ${block.page}`) : h("p", { text: block.text });
    case "IMAGE":
      return h("figure", { class: "image-placeholder", role: "img", "aria-label": `Image on page ${block.page}` },
        h("span", { text: "Image" }), block.text ? h("figcaption", { text: block.text }) : null);
    case "CAPTION":
      return h("p", { class: "caption", text: block.text });
    case "FORMULA":
      return h("pre", { class: "formula" }, h("code", { text: block.text }));
    case "HEADER":
    case "FOOTER":
      return h("p", { class: "running", text: block.text });
    default:
      return h("p", { text: block.text });
  }
}

function translated(block) {
  if (block.type === "TABLE" && block.table && block.table.translatedRows) {
    return tableOf(block.table.translatedHeaders, block.table.translatedRows, `Translated table on page ${block.page}`);
  }
  if (!block.translatedText) return null;
  return block.type === "LIST_ITEM" ? h("li", { text: block.translatedText }) : h("p", { text: block.translatedText });
}

/** One page's blocks as a <section>; consecutive list items share a <ul>. */
export function renderPage(page, blocks) {
  const bilingual = blocks.some((b) => b.translatedText || (b.table && b.table.translatedRows));
  const section = h("section", { class: `page${bilingual ? " bilingual" : ""}`, dataset: { page: String(page) }, "aria-label": `Page ${page}` });
  section.append(h("p", { class: "page-number", text: `Page ${page}` }));
  let list = null;
  let translatedList = null;
  for (const block of blocks) {
    const left = original(block);
    const right = bilingual ? translated(block) : null;
    if (block.type === "LIST_ITEM") {
      if (!list) {
        list = h("ul");
        translatedList = h("ul");
        section.append(bilingual ? h("div", { class: "pair" }, h("div", null, list), h("div", { class: "translated" }, translatedList)) : list);
      }
      list.append(left);
      if (right) translatedList.append(right);
      continue;
    }
    list = null;
    section.append(bilingual ? h("div", { class: "pair", dataset: { type: block.type } }, h("div", null, left), h("div", { class: "translated" }, right)) : left);
  }
  return section;
}
