// Sign in, or register when the admin setting registration_open allows it (the server says no
// with a message otherwise, which is shown as is).
import { gql, session } from "./api.js";
import { h, input } from "./dom.js";
import { LOGIN, REGISTER } from "./operations.js";

export function mountSignIn(container, message) {
  let registering = false;
  const notice = h("p", { class: "notice", role: "status", text: message || "" });
  notice.hidden = !message;
  const error = h("p", { class: "form-error", role: "alert" });
  const nameField = input("Name", "name", { autocomplete: "name" });
  const form = h(
    "form",
    { class: "card signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title", text: "Sign in to PDF Docat" }),
    notice,
    nameField,
    input("Email", "email", { type: "email", autocomplete: "username", required: true }),
    input("Password", "password", { type: "password", autocomplete: "current-password", required: true }),
    error,
    h("button", { type: "submit", class: "primary", text: "Sign in" }),
    h("button", { type: "button", class: "link", text: "Create an account", onclick: () => toggle() }),
  );
  const [submit, switcher] = form.querySelectorAll("button");
  nameField.hidden = true;

  function toggle() {
    registering = !registering;
    nameField.hidden = !registering;
    form.querySelector("h1").textContent = registering ? "Create an account" : "Sign in to PDF Docat";
    submit.textContent = registering ? "Create account" : "Sign in";
    switcher.textContent = registering ? "I have an account" : "Create an account";
    form.elements.namedItem("password").autocomplete = registering ? "new-password" : "current-password";
    error.textContent = "";
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const email = form.elements.namedItem("email").value.trim();
    const password = form.elements.namedItem("password").value;
    submit.disabled = true;
    try {
      if (registering) {
        const name = form.elements.namedItem("name").value.trim() || null;
        session.start((await gql(REGISTER, { input: { email, password, name } })).register);
      } else {
        session.start((await gql(LOGIN, { email, password })).login);
      }
    } catch (failure) {
      error.textContent = failure.message;
    } finally {
      submit.disabled = false;
    }
  });
  container.replaceChildren(h("main", { id: "main", class: "center" }, form));
  form.elements.namedItem("email").focus();
}
