import type { Handler } from "@hfp/jetstream";
import { stageHandler, type StageDeps } from "@hfp/service";
import { failsJob, notifierDecider, STAGE } from "./decide.ts";
import { kindOf, sendRequest } from "./message.ts";
import type { NotificationQueue } from "./queue.ts";
import { loadState } from "./state.ts";

/** The notifier's consumer handler: its decisions, run by the shared runner against SQS and the stream. */
export function createHandler(deps: StageDeps, queue: Pick<NotificationQueue, "name" | "fifo" | "send">, now?: () => Date): Handler {
  return stageHandler(
    {
      ...notifierDecider,
      stage: STAGE,
      dependency: "SQS_UNAVAILABLE",
      load: (input, log) => loadState(deps, input, log),
      run: async ({ notification }) => ({ queue: queue.name, messageId: await queue.send(sendRequest(notification, queue.fifo)) }),
      terminal: failsJob,
      done: (_input, { outcome, uploaded, sent }, log) => {
        if (!outcome) return;
        const status = outcome.type === "packaged" ? "completed" : "failed";
        deps.metrics.videosProcessed.inc({ status });
        if (uploaded) deps.metrics.processingTime.observe({ status }, (Date.now() - Date.parse(uploaded.occurredAt)) / 1000);
        log.info({ kind: kindOf(outcome), ...sent }, "notified");
      },
    },
    { ...deps, ...(now && { now }) },
  );
}
