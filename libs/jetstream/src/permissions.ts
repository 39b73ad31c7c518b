import { CONSUMING_STAGES, SERVICE_NAME, SUBJECT_PREFIX, type ConsumingStage, type EventType, type ServiceName } from "@hfp/events";
import { deadLetterStreamName } from "./topology.ts";
import { jobChangesSubject, projectionStreamName } from "./projection.ts";
import { UPLOAD_LOOKUP_SUBJECT } from "./upload-lookup.ts";

/**
 * Who may say what on the bus: one NATS user per service, allowed to publish only its own
 * event types and to drive only its own durable; an admin (provisioning, the CLI, tests)
 * may do everything. The local stack's server config is rendered from this table and the
 * Kubernetes values are checked against it (docs/operations.md, "NATS users and TLS").
 */

export interface SubjectPermissions {
  publish: { allow: string[]; deny?: string[] };
  subscribe: { allow: string[] };
  /** May answer the requests it receives (one reply each, to their reply subject) and nothing more on inboxes. */
  allow_responses?: boolean;
}

/** The user that provisions streams and consumers and runs operator commands. */
export const NATS_ADMIN_USER = "hfp-admin";

/** The event types each service publishes; any other `jobs.*.*` publish is refused by the server. */
export const PUBLISHES: Record<ServiceName, readonly EventType[]> = {
  [SERVICE_NAME.ingestBridge]: ["uploaded", "failed"],
  [SERVICE_NAME.extractor]: ["extraction-started", "extraction-progress", "frames-extracted", "extraction-failed", "failed", "canceled"],
  [SERVICE_NAME.packager]: ["packaged", "packaging-failed", "failed", "canceled"],
  [SERVICE_NAME.notifier]: ["notified", "notification-failed", "failed"],
  // The status API's `DELETE /videos/:id`.
  [SERVICE_NAME.projector]: ["cancel-requested"],
};

/**
 * Core subscriptions beyond the user's inbox: the extractor hears cancels live (its durable
 * would hand them over only after the extraction they are meant to stop); the projector hears
 * its replicas' document changes for the event streams.
 */
function liveSubjects(service: ServiceName, stream: string, prefix: string): string[] {
  if (service === SERVICE_NAME.extractor) return [`${prefix}.*.cancel-requested`];
  if (service === SERVICE_NAME.projector) return [jobChangesSubject(stream)];
  // The status API's requests for a presigned upload S3 has not announced yet (upload-lookup.ts).
  if (service === SERVICE_NAME.ingestBridge) return [UPLOAD_LOOKUP_SUBJECT];
  return [];
}

/**
 * A user's replies come to an inbox of its own (`_INBOX_<user>`), so one service cannot
 * subscribe to the messages another pulls from its durable.
 */
export function inboxPrefixOf(user: string): string {
  return `_INBOX_${user}`;
}

const API = "$JS.API";

/** Pulling, acking and reading the config of one durable. */
function durableAccess(stream: string, durable: string): string[] {
  return [`${API}.CONSUMER.INFO.${stream}.${durable}`, `${API}.CONSUMER.MSG.NEXT.${stream}.${durable}`, `$JS.ACK.${stream}.${durable}.>`];
}

/**
 * Reading a job's history: stream info, last-by-subject gets, and ordered (ephemeral)
 * consumers. An ordered consumer's name is random, so create/pull/delete are allowed on any
 * name but the durables', which are denied: a service cannot pull, reconfigure or delete
 * another stage's consumer. A create must carry a filter subject (the subject's last tokens).
 */
function historyReads(stream: string, durables: readonly string[]): { allow: string[]; deny: string[] } {
  return {
    allow: [
      `${API}.INFO`,
      `${API}.STREAM.INFO.${stream}`,
      `${API}.STREAM.MSG.GET.${stream}`,
      `${API}.DIRECT.GET.${stream}.>`,
      `${API}.CONSUMER.CREATE.${stream}.*.>`,
      `${API}.CONSUMER.MSG.NEXT.${stream}.*`,
      `${API}.CONSUMER.DELETE.${stream}.*`,
    ],
    deny: durables.flatMap((d) => [
      `${API}.CONSUMER.CREATE.${stream}.${d}.>`,
      `${API}.CONSUMER.DELETE.${stream}.${d}`,
      `${API}.CONSUMER.MSG.NEXT.${stream}.${d}`,
    ]),
  };
}

/** The permissions of every service's user, for a job stream named `stream` (JOBS). */
export function servicePermissions(stream = "JOBS", prefix = SUBJECT_PREFIX): Record<ServiceName, SubjectPermissions> {
  const history = historyReads(stream, CONSUMING_STAGES);
  const user = (service: ServiceName, extra: string[] = []): SubjectPermissions => {
    // Deny wins over allow in NATS, so a stage's pull of its own durable is kept out of deny.
    const ownPull = `${API}.CONSUMER.MSG.NEXT.${stream}.${service}`;
    return {
      publish: {
        allow: [...PUBLISHES[service].map((t) => `${prefix}.*.${t}`), ...history.allow, ...extra],
        deny: history.deny.filter((s) => s !== ownPull),
      },
      subscribe: { allow: [`${inboxPrefixOf(service)}.>`, ...liveSubjects(service, stream, prefix)] },
    };
  };
  const stage = (s: ConsumingStage) => user(s, durableAccess(stream, s));
  const projection = projectionStreamName(stream);
  return {
    [SERVICE_NAME.ingestBridge]: { ...user(SERVICE_NAME.ingestBridge), allow_responses: true },
    [SERVICE_NAME.extractor]: stage(SERVICE_NAME.extractor),
    [SERVICE_NAME.packager]: stage(SERVICE_NAME.packager),
    [SERVICE_NAME.notifier]: stage(SERVICE_NAME.notifier),
    [SERVICE_NAME.projector]: user(SERVICE_NAME.projector, [
      `${API}.STREAM.INFO.${projection}`,
      `${API}.STREAM.INFO.${deadLetterStreamName(stream)}`,
      `${API}.STREAM.INFO.${deadLetterStreamName(projection)}`,
      // A stalled source is restarted by a new leader of the projection (source-watch.ts).
      `${API}.STREAM.LEADER.STEPDOWN.${projection}`,
      `${API}.CONSUMER.INFO.${projection}.*`,
      `${API}.CONSUMER.MSG.NEXT.${projection}.*`,
      `$JS.ACK.${projection}.>`,
      jobChangesSubject(stream),
      UPLOAD_LOOKUP_SUBJECT,
    ]),
  };
}

/** A user in the server config: a password literal, or `$VAR` to take it from the server's environment. */
export interface ConfigUser {
  user: string;
  password: string;
  permissions?: SubjectPermissions;
}

const quote = (s: string) => JSON.stringify(s);

/** The `authorization { users: [...] }` block of a nats-server config file. */
export function renderAuthorization(users: readonly ConfigUser[]): string {
  const list = (xs: readonly string[]) => `[${xs.map(quote).join(", ")}]`;
  const lines = users.map((u) => {
    // `$NAME` unquoted is a variable reference the server resolves from its environment.
    const password = u.password.startsWith("$") ? u.password : quote(u.password);
    if (!u.permissions) return `    { user: ${quote(u.user)}, password: ${password} }`;
    const p = u.permissions;
    const deny = p.publish.deny?.length ? `, deny: ${list(p.publish.deny)}` : "";
    return [
      `    { user: ${quote(u.user)}, password: ${password}, permissions: {`,
      `        publish: { allow: ${list(p.publish.allow)}${deny} }`,
      `        subscribe: { allow: ${list(p.subscribe.allow)} }`,
      ...(p.allow_responses ? [`        allow_responses: true`] : []),
      `    } }`,
    ].join("\n");
  });
  return `authorization {\n  users: [\n${lines.join("\n")}\n  ]\n}\n`;
}

export type BusUser = ServiceName | typeof NATS_ADMIN_USER;
/** The names of the bus's users: the admin and one per service. */
export const BUS_USERS: readonly BusUser[] = [NATS_ADMIN_USER, ...Object.values(SERVICE_NAME)];

/** Every user of the bus with the given passwords: the admin (unrestricted) and each service. */
export function busUsers(passwords: Record<BusUser, string>, stream = "JOBS"): ConfigUser[] {
  const perms = servicePermissions(stream);
  return [
    { user: NATS_ADMIN_USER, password: passwords[NATS_ADMIN_USER] },
    ...Object.values(SERVICE_NAME).map((s) => ({ user: s, password: passwords[s], permissions: perms[s] })),
  ];
}
