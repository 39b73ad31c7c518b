import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";

export type { Logger };

/** Fields that must never reach a log line, wherever they appear. */
const REDACT = [
  "req.headers.authorization",
  "headers.authorization",
  "authorization",
  "password",
  "secret",
  "token",
  "*.secretAccessKey",
  "*.sessionToken",
  "credentials",
];

export function createLogger(service: string, level: LoggerOptions["level"] = "info", destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: "[redacted]" },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A child logger with the job and event bound, for every line about one event. */
export function forEvent(logger: Logger, event: { id: string; jobId: string; type: string; correlationId?: string }): Logger {
  return logger.child({
    jobId: event.jobId,
    eventId: event.id,
    eventType: event.type,
    correlationId: event.correlationId,
  });
}
