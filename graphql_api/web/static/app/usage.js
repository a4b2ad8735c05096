// Credits and usage: totals, a bar chart of credits per day (inline SVG), the credit ledger.
import { gql } from "./api.js";
import { formatTime, h } from "./dom.js";
import { USAGE } from "./operations.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) el.setAttribute(key, String(value));
  for (const child of children) el.append(child);
  return el;
}

export function creditsChart(days) {
  const width = 720;
  const height = 200;
  const pad = { top: 12, right: 8, bottom: 28, left: 36 };
  const max = Math.max(1, ...days.map((d) => d.credits));
  const slot = (width - pad.left - pad.right) / Math.max(1, days.length);
  const y = (value) => pad.top + (height - pad.top - pad.bottom) * (1 - value / max);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-labelledby": "chart-title" });
  const title = svg("title", { id: "chart-title" });
  title.textContent = `Credits per day over the last ${days.length} days; at most ${max} in one day`;
  chart.append(title);
  for (const tick of [0, Math.round(max / 2), max]) {
    const label = svg("text", { x: pad.left - 6, y: y(tick) + 4, "text-anchor": "end", class: "axis" });
    label.textContent = String(tick);
    chart.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y(tick), y2: y(tick), class: "grid" }), label);
  }
  days.forEach((day, index) => {
    const x = pad.left + index * slot;
    const bar = svg("rect", { x: x + slot * 0.15, y: y(day.credits), width: slot * 0.7, height: y(0) - y(day.credits), class: "bar-rect", rx: 2 });
    const tip = svg("title");
    tip.textContent = `${day.date}: ${day.credits} credits, ${day.documents} documents, ${day.pages} pages`;
    bar.append(tip);
    chart.append(bar);
    if (index % Math.ceil(days.length / 6) === 0) {
      const label = svg("text", { x: x + slot / 2, y: height - 8, "text-anchor": "middle", class: "axis" });
      label.textContent = day.date.slice(5);
      chart.append(label);
    }
  });
  return chart;
}

export function mountUsage(container, { notify }) {
  container.replaceChildren(h("p", { class: "muted", text: "Loading usage…" }));
  gql(USAGE, { days: 30 })
    .then(({ usage, creditLogs }) => {
      const left = Math.max(0, usage.creditsLimit - usage.creditsUsed);
      container.replaceChildren(
        h("section", { class: "card", "aria-labelledby": "usage-title" },
          h("h1", { id: "usage-title", text: "Credits and usage" }),
          h("div", { class: "stats" },
            [["Credits used", `${usage.creditsUsed} of ${usage.creditsLimit}`], ["Credits left", left],
             ["Documents (30 days)", usage.documents], ["Pages (30 days)", usage.pages]]
              .map(([label, value]) => h("div", { class: "stat" }, h("span", { class: "muted", text: label }), h("strong", { text: value })))),
          h("h2", { text: "Credits per day" }),
          creditsChart(usage.days)),
        h("section", { class: "card", "aria-labelledby": "ledger-title" },
          h("h2", { id: "ledger-title", text: "Credit ledger" }),
          h("div", { class: "table-wrap" }, h("table", null,
            h("thead", null, h("tr", null, ["Time", "Amount", "Balance", "Description"].map((text) => h("th", { scope: "col", text })))),
            h("tbody", null, creditLogs.edges.map(({ node }) => h("tr", null,
              h("td", { text: formatTime(node.at) }), h("td", { class: "num", text: node.amount }),
              h("td", { class: "num", text: node.balanceAfter }), h("td", { text: node.description }))))))),
      );
    })
    .catch((error) => notify(error.message, "error"));
  return () => {};
}
