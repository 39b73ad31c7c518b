// Sign in, sign up and confirm with the user pool; or, with no pool configured (local
// development on HS256 tokens), paste a token minted by `hfp token <user>`.
import { type CognitoClient, explain } from "../auth/cognito.ts";
import type { Session } from "../auth/session.ts";
import { h, field, replace } from "./dom.ts";

type Mode = "sign-in" | "sign-up" | "confirm";

export function signInView(root: HTMLElement, session: Session, cognito: CognitoClient | null): void {
  if (!cognito) {
    devTokenView(root, session);
    return;
  }
  let mode: Mode = "sign-in";
  let pending = { username: "", password: "" };
  const message = h("p", { class: "message", role: "alert", "data-testid": "auth-message" });
  const say = (text: string, kind: "error" | "info" = "error") => {
    message.textContent = text;
    message.className = `message ${kind}`;
  };

  const busy = async (form: HTMLFormElement, work: () => Promise<void>) => {
    const button = form.querySelector("button[type=submit]") as HTMLButtonElement | null;
    if (button) button.disabled = true;
    try {
      await work();
    } catch (err) {
      say(explain(err));
    } finally {
      if (button) button.disabled = false;
    }
  };

  const signIn = async (username: string, password: string) => {
    session.start(await cognito.signIn(username, password));
  };

  const render = () => {
    const title = { "sign-in": "Sign in", "sign-up": "Create an account", confirm: "Confirm your account" }[mode];
    const form = h("form", { class: "card auth", "data-testid": mode, novalidate: true });
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void busy(form, async () => {
        const username = field(form, "username");
        const password = field(form, "password", false);
        if (mode === "sign-in") {
          if (!username || !password) return say("Enter your user name and password.");
          await signIn(username, password);
        } else if (mode === "sign-up") {
          if (!username || !password) return say("Choose a user name and a password.");
          const { confirmed } = await cognito.signUp(username, password, field(form, "email") || undefined);
          pending = { username, password };
          if (confirmed) return signIn(username, password);
          mode = "confirm";
          render();
          say(`We sent a confirmation code to ${username}'s contact; enter it below.`, "info");
        } else {
          const code = field(form, "code");
          if (!code) return say("Enter the confirmation code.");
          await cognito.confirmSignUp(pending.username || username, code);
          if (pending.password) await signIn(pending.username, pending.password);
          else {
            mode = "sign-in";
            render();
            say("Your account is confirmed; sign in.", "info");
          }
        }
      });
    });
    const input = (name: string, label: string, type = "text", autocomplete = "") =>
      h("label", {}, label, h("input", { name, type, autocomplete: autocomplete || undefined, required: true }));
    replace(
      form,
      h("h1", {}, title),
      mode !== "confirm" || !pending.username ? input("username", "User name", "text", "username") : null,
      mode === "sign-up" ? h("label", {}, "Email (optional)", h("input", { name: "email", type: "email", autocomplete: "email" })) : null,
      mode !== "confirm" ? input("password", "Password", "password", mode === "sign-up" ? "new-password" : "current-password") : null,
      mode === "confirm" ? input("code", "Confirmation code", "text", "one-time-code") : null,
      h("button", { type: "submit" }, title),
      message,
      mode === "sign-in"
        ? h(
            "p",
            {},
            "New here? ",
            h("a", { href: "#", "data-testid": "to-sign-up", onclick: (e: Event) => switchTo(e, "sign-up") }, "Create an account"),
          )
        : h(
            "p",
            {},
            h("a", { href: "#", "data-testid": "to-sign-in", onclick: (e: Event) => switchTo(e, "sign-in") }, "I have an account"),
          ),
    );
    replace(root, form);
    message.textContent = "";
    (form.querySelector("input") as HTMLInputElement | null)?.focus();
  };
  const switchTo = (e: Event, next: Mode) => {
    e.preventDefault();
    mode = next;
    render();
  };
  render();
}

function devTokenView(root: HTMLElement, session: Session): void {
  const message = h("p", { class: "message error", role: "alert" });
  const form = h(
    "form",
    { class: "card auth", "data-testid": "dev-token" },
    h("h1", {}, "Sign in with a development token"),
    h("p", {}, "No user pool is configured. Paste a token from ", h("code", {}, "npm run hfp -- token <user>"), "."),
    h("label", {}, "Token", h("textarea", { name: "token", rows: 4, required: true })),
    h("button", { type: "submit" }, "Use token"),
    message,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const token = field(form, "token");
    try {
      session.start({ idToken: token, accessToken: "", refreshToken: "" }, true);
    } catch {
      message.textContent = "That is not a token.";
    }
  });
  replace(root, form);
}
