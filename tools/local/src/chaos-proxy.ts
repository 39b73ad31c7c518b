// The SQS endpoint the chaos tool puts in front of moto for the `notifier-send-publish` fault.
import { createServer, request, type IncomingMessage, type Server } from "node:http";

/**
 * An SQS endpoint in front of moto for the notifier: the first SendMessage of each job is
 * passed on, and the notifier killed once moto has stored it but before the notifier hears
 * so, so it can never publish `notified` for that send.
 */
export async function killingProxy(
  target: string,
  jobIds: Set<string>,
  sender: () => number,
  onStored: (jobId: string, senderPid: number) => void,
): Promise<{ url: string; server: Server }> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const text = body.toString("utf8");
      const send = String(req.headers["x-amz-target"] ?? "").endsWith(".SendMessage") || text.includes("Action=SendMessage");
      const victim = send ? [...jobIds].find((id) => text.includes(id)) : undefined;
      // The notifier that sent this request (a restarted one has another pid).
      const from = sender();
      const out = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer: IncomingMessage) => {
          const parts: Buffer[] = [];
          answer.on("data", (c: Buffer) => parts.push(c));
          answer.on("end", () => {
            if (victim) {
              jobIds.delete(victim);
              onStored(victim, from);
              res.destroy();
              return;
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(Buffer.concat(parts));
          });
        },
      );
      out.on("error", () => res.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server };
}
