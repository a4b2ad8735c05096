// The only way the dashboard builds DOM: elements with properties, text always as text nodes.
// Nothing here ever parses a string as HTML, so document text (untrusted PDFs) stays data.

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "value" || key === "checked" || key === "selected" || key === "disabled") el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child)); // a string becomes a text node
  }
  return el;
}

export function setText(el, text) {
  const value = text === null || text === undefined ? "" : String(text);
  if (el.textContent !== value) el.textContent = value;
}

/** Only http(s) links from the API become hrefs (never javascript: or data:). */
export function safeHref(url) {
  try {
    const parsed = new URL(url, window.location.href);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch (_error) {
    return null;
  }
}

export function select(label, name, options, value) {
  const id = `f-${name}-${Math.random().toString(36).slice(2, 8)}`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id, text: label }),
    h(
      "select",
      { id, name },
      options.map(([optionValue, text]) => h("option", { value: optionValue, text, selected: optionValue === value })),
    ),
  );
}

export function input(label, name, attrs) {
  const id = `f-${name}-${Math.random().toString(36).slice(2, 8)}`;
  const type = (attrs && attrs.type) || "text";
  const control = h("input", Object.assign({ id, name, type }, attrs || {}));
  if (type === "checkbox") return h("div", { class: "field check" }, control, h("label", { for: id, text: label }));
  return h("div", { class: "field" }, h("label", { for: id, text: label }), control);
}

export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined || ms < 0) return "–";
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

export function formatTime(iso) {
  return iso ? new Date(iso).toLocaleString() : "–";
}
