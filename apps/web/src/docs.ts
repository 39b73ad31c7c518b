// The API reference at /docs: Swagger UI, bundled (no CDN), over the same public OpenAPI
// document the client is generated from, as the API serves it (<apiBaseUrl>/openapi.json).
import SwaggerUIBundle from "swagger-ui-dist/swagger-ui-es-bundle.js";
import "swagger-ui-dist/swagger-ui.css";
import { loadConfig } from "./config.ts";

const root = document.getElementById("api-reference")!;

async function start(): Promise<void> {
  const { apiBaseUrl } = await loadConfig("../config.json");
  const ui = SwaggerUIBundle({
    url: `${apiBaseUrl}/openapi.json`,
    domNode: root,
    deepLinking: true,
    tryItOutEnabled: false,
  });
  // Signed in on the page in this tab: "Try it out" uses that session's token.
  try {
    const session = JSON.parse(sessionStorage.getItem("hfp.session") ?? "null") as { tokens?: { idToken?: string } } | null;
    if (session?.tokens?.idToken) ui.preauthorizeApiKey("bearerAuth", session.tokens.idToken);
  } catch {
    // No session storage, or nothing usable in it: the Authorize button is still there.
  }
}

start().catch((err: unknown) => {
  root.textContent = `The API reference could not load: ${(err as Error).message}`;
});
