// The few Cognito user-pool calls a browser makes: the public, unsigned part of the
// cognito-idp JSON API (sign-up and sign-in need no AWS credentials).
import type { CognitoConfig } from "../config.ts";

export interface Tokens {
  idToken: string;
  accessToken: string;
  refreshToken: string;
}

/** A refused Cognito call: `type` is Cognito's exception name, e.g. NotAuthorizedException. */
export class CognitoError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = "CognitoError";
  }
}

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

export class CognitoClient {
  constructor(
    private readonly cfg: CognitoConfig,
    private readonly fetchFn: Fetch = (input, init) => fetch(input, init),
  ) {}

  private async call<T>(action: string, body: Record<string, unknown>): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchFn(this.cfg.endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityProviderService.${action}` },
        body: JSON.stringify(body),
      });
    } catch {
      throw new CognitoError("NetworkError", "the sign-in service cannot be reached");
    }
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) {
      // Cognito names the exception as "[namespace#]Name" in __type (or the x-amzn-errortype header).
      const raw = String(json.__type ?? res.headers.get("x-amzn-errortype") ?? "UnknownError");
      const type = raw.split("#").pop()!.split(":")[0]!;
      throw new CognitoError(type, String(json.message ?? json.Message ?? `HTTP ${res.status}`));
    }
    return json as T;
  }

  /** Returns whether the user still has to confirm (a code sent by email in production). */
  async signUp(username: string, password: string, email?: string): Promise<{ confirmed: boolean }> {
    const out = await this.call<{ UserConfirmed?: boolean }>("SignUp", {
      ClientId: this.cfg.clientId,
      Username: username,
      Password: password,
      ...(email && { UserAttributes: [{ Name: "email", Value: email }] }),
    });
    return { confirmed: out.UserConfirmed === true };
  }

  async confirmSignUp(username: string, code: string): Promise<void> {
    await this.call("ConfirmSignUp", { ClientId: this.cfg.clientId, Username: username, ConfirmationCode: code });
  }

  async signIn(username: string, password: string): Promise<Tokens> {
    const out = await this.call<{ AuthenticationResult?: Record<string, string>; ChallengeName?: string }>("InitiateAuth", {
      ClientId: this.cfg.clientId,
      AuthFlow: "USER_PASSWORD_AUTH",
      AuthParameters: { USERNAME: username, PASSWORD: password },
    });
    const r = out.AuthenticationResult;
    if (!r?.IdToken || !r.AccessToken || !r.RefreshToken) {
      throw new CognitoError(
        out.ChallengeName ?? "UnsupportedChallenge",
        `sign-in needs a step this page does not offer yet (${out.ChallengeName})`,
      );
    }
    return { idToken: r.IdToken, accessToken: r.AccessToken, refreshToken: r.RefreshToken };
  }

  /** New ID and access tokens; Cognito keeps the refresh token as it is. */
  async refresh(refreshToken: string): Promise<Tokens> {
    const out = await this.call<{ AuthenticationResult?: Record<string, string> }>("InitiateAuth", {
      ClientId: this.cfg.clientId,
      AuthFlow: "REFRESH_TOKEN_AUTH",
      AuthParameters: { REFRESH_TOKEN: refreshToken },
    });
    const r = out.AuthenticationResult;
    if (!r?.IdToken || !r.AccessToken) throw new CognitoError("NotAuthorizedException", "the session could not be renewed");
    return { idToken: r.IdToken, accessToken: r.AccessToken, refreshToken: r.RefreshToken ?? refreshToken };
  }

  /** Ends the session at Cognito too: its refresh and access tokens stop working. */
  async signOut(accessToken: string): Promise<void> {
    await this.call("GlobalSignOut", { AccessToken: accessToken });
  }
}

/** What to tell a person about a refused sign-in, sign-up or confirmation. */
export function explain(err: unknown): string {
  if (!(err instanceof CognitoError)) return "Something went wrong; try again.";
  switch (err.type) {
    case "NotAuthorizedException":
    case "UserNotFoundException":
      return "Wrong user name or password.";
    case "UserNotConfirmedException":
      return "This account is not confirmed yet: enter the code you were sent.";
    case "UsernameExistsException":
      return "That user name is taken.";
    case "InvalidPasswordException":
      return `That password is not allowed: ${err.message}`;
    case "CodeMismatchException":
    case "ExpiredCodeException":
      return "That code is wrong or has expired.";
    case "TooManyRequestsException":
    case "LimitExceededException":
      return "Too many attempts; wait a minute and try again.";
    case "NetworkError":
      return "The sign-in service cannot be reached; check your connection.";
    default:
      return err.message;
  }
}
