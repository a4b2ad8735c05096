// The processing options (ProcessingOptionsInput) as form fields, for uploads and reprocessing.
import { h, input, select } from "./dom.js";
import { ENGINES } from "./operations.js";

export function optionsFields(languages, current) {
  const options = current || {};
  return h(
    "fieldset",
    { class: "options" },
    h("legend", { text: "Processing options" }),
    select("Engine", "engine", ENGINES.map((engine) => [engine, engine]), options.engine || "AUTO"),
    input("Pages", "pages", { placeholder: "all, or e.g. 1-3,7", value: options.pages || "" }),
    input("OCR language", "ocrLanguage", { value: options.ocrLanguage || "eng" }),
    select(
      "Translate to",
      "translateTo",
      [["", "No translation"], ...languages.map((code) => [code, code])],
      options.translateTo || "",
    ),
    input("Dual language PDF", "dualLanguage", { type: "checkbox", checked: Boolean(options.dualLanguage) }),
  );
}

export function readOptions(form) {
  const value = (name) => form.elements.namedItem(name).value.trim();
  return {
    engine: value("engine"),
    pages: value("pages") || null,
    ocrLanguage: value("ocrLanguage") || "eng",
    translateTo: value("translateTo") || null,
    dualLanguage: form.elements.namedItem("dualLanguage").checked,
  };
}
