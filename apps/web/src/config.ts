/** What the page needs to know about where it runs; served beside the bundle as /config.json. */
export interface WebConfig {
  /** The public API's base URL; "" is the page's own origin (the gateway or Ingress). */
  apiBaseUrl: string;
  /** The user pool to sign in with; null locally when only dev tokens exist (paste one). */
  cognito: CognitoConfig | null;
}

export interface CognitoConfig {
  /** The cognito-idp endpoint: https://cognito-idp.<region>.amazonaws.com/ in production. */
  endpoint: string;
  region: string;
  userPoolId: string;
  clientId: string;
}

const isText = (v: unknown): v is string => typeof v === "string" && v.length > 0;

/** Checks a parsed /config.json, naming the first field that is wrong. */
export function parseConfig(raw: unknown): WebConfig {
  const o = (raw ?? {}) as Record<string, unknown>;
  const apiBaseUrl = o.apiBaseUrl ?? "";
  if (typeof apiBaseUrl !== "string") throw new Error("config.json: apiBaseUrl must be a string");
  if (o.cognito === null || o.cognito === undefined) return { apiBaseUrl, cognito: null };
  const c = o.cognito as Record<string, unknown>;
  for (const k of ["endpoint", "region", "userPoolId", "clientId"] as const) {
    if (!isText(c[k])) throw new Error(`config.json: cognito.${k} is required`);
  }
  return {
    apiBaseUrl,
    cognito: { endpoint: String(c.endpoint), region: String(c.region), userPoolId: String(c.userPoolId), clientId: String(c.clientId) },
  };
}

export async function loadConfig(url = "/config.json"): Promise<WebConfig> {
  const res = await fetch(url, { cache: "no-store" });
  if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
  return parseConfig(await res.json());
}
