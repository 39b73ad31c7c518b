// The page's composition root: config, session, API client, and the view for the URL hash.
import { createApi, ApiError } from "./api/client.ts";
import { CognitoClient } from "./auth/cognito.ts";
import { MemoryStore, Session, SignedOut, type KeyValueStore } from "./auth/session.ts";
import { loadConfig } from "./config.ts";
import { explainCode } from "./messages.ts";
import { h, replace } from "./ui/dom.ts";
import { signInView } from "./ui/signin.ts";
import { videoDetail } from "./ui/detail.ts";
import { videoList, type ListPoller } from "./ui/list.ts";
import type { Poller } from "./ui/live.ts";
import { uploadPanel } from "./ui/upload.ts";

function storage(): KeyValueStore {
  try {
    sessionStorage.setItem("hfp.probe", "1");
    sessionStorage.removeItem("hfp.probe");
    return sessionStorage;
  } catch {
    return new MemoryStore();
  }
}

async function boot(app: HTMLElement): Promise<void> {
  const config = await loadConfig();
  const cognito = config.cognito ? new CognitoClient(config.cognito) : null;
  const session = new Session((refresh) => {
    if (!cognito) throw new SignedOut("no user pool to renew the session with");
    return cognito.refresh(refresh);
  }, storage());
  const token = () => session.idToken();
  const api = createApi(config.apiBaseUrl, token);

  const banner = h("p", { class: "banner", role: "alert", "data-testid": "banner", hidden: true });
  const showError = (err: unknown) => {
    // A token the API refuses (revoked, another pool) is as good as none: sign in again.
    if (err instanceof SignedOut || (err instanceof ApiError && err.status === 401)) return session.end();
    banner.hidden = false;
    banner.textContent =
      err instanceof ApiError
        ? `${explainCode(err.code)} (${err.code}: ${err.message})`
        : `Something went wrong: ${(err as Error).message}`;
  };

  let current: Poller | null = null;
  let list: ListPoller | null = null;
  // One upload panel per signed-in session, so its rows survive moving between views.
  let uploads: HTMLElement | null = null;
  session.onChange(() => {
    uploads = null;
  });
  const render = () => {
    current?.stop();
    current = list = null;
    banner.hidden = true;
    const s = session.state;
    if (!s) {
      const main = h("main", {});
      replace(app, main);
      signInView(main, session, cognito);
      return;
    }
    const signOut = h("button", { type: "button", class: "quiet", "data-testid": "sign-out" }, "Sign out");
    signOut.addEventListener("click", () => {
      // Revoke at Cognito as well; the local session ends whatever it answers.
      if (cognito && s.tokens.accessToken) void cognito.signOut(s.tokens.accessToken).catch(() => undefined);
      session.end();
    });
    const view = h("div", {});
    const match = /^#\/videos\/([\w-]+)$/.exec(location.hash);
    replace(
      app,
      h(
        "header",
        {},
        h("a", { href: "#/", class: "brand" }, "Video frames"),
        h("a", { href: "docs/", class: "docs-link" }, "API"),
        h("span", { class: "who", "data-testid": "who" }, s.username),
        signOut,
      ),
      banner,
      h(
        "main",
        {},
        match
          ? null
          : (uploads ??= uploadPanel({ baseUrl: config.apiBaseUrl, token: () => session.idToken(), onCreated: (id) => list?.watch(id) })),
        view,
      ),
    );
    const deps = { api, baseUrl: config.apiBaseUrl, token, onError: showError };
    list = match ? null : videoList(view, deps);
    current = list ?? videoDetail(view, deps, match![1]!);
  };
  session.onChange(render);
  window.addEventListener("hashchange", render);
  render();
}

const app = document.getElementById("app")!;
boot(app).catch((err: unknown) => {
  replace(app, h("p", { class: "banner", role: "alert" }, `The page could not start: ${(err as Error).message}`));
});
