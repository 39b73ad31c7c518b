import { suite } from "uvu";
import * as assert from "uvu/assert";
import { failureReport, pasteBlock, portsReport, shellQuote } from "../src/report.ts";

const report = suite("what the local runner prints");

report("shellQuote: plain words stay, anything a shell would expand or split is single-quoted", () => {
  assert.equal(shellQuote("/tmp/x.mp4"), "/tmp/x.mp4");
  assert.equal(shellQuote("http://127.0.0.1:8000/videos/a-B_9"), "http://127.0.0.1:8000/videos/a-B_9");
  assert.equal(shellQuote("with space.mp4"), "'with space.mp4'");
  assert.equal(shellQuote("$HOME"), "'$HOME'");
  assert.equal(shellQuote("a;b*"), "'a;b*'");
  assert.equal(shellQuote("it's.mp4"), `'it'\\''s.mp4'`);
});

const base = {
  baseUrl: "http://127.0.0.1:8000",
  token: "aaa.bbb.ccc",
  user: "demo-user",
  ttlHours: 12,
  video: "/home/me/my videos/clip.mp4",
  root: "/home/me/hfp",
};

report("pasteBlock: the token line first, then commands that name everything they use", () => {
  const lines = pasteBlock({ ...base, jobId: "JOB1" });
  const cmds = lines.filter((l) => l.startsWith("  ")).map((l) => l.trim());
  assert.equal(cmds[0], "export TOKEN=aaa.bbb.ccc");
  assert.equal(cmds.slice(1, 6), [
    `curl -s -w '\\n' -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/videos/JOB1`,
    `curl -s -w '\\n' -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/videos/JOB1/events`,
    `curl -fsSL -H "Authorization: Bearer $TOKEN" -o JOB1.zip http://127.0.0.1:8000/videos/JOB1/download`,
    `curl -s -w '\\n' -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/videos`,
    `curl -s -w '\\n' -H "Authorization: Bearer $TOKEN" -F file=@'/home/me/my videos/clip.mp4' http://127.0.0.1:8000/videos`,
  ]);
  assert.equal(cmds[6], "export TOKEN=$(npm --prefix /home/me/hfp run -s hfp -- token alice)");
  // Pasted into bash or zsh: no placeholders to fill in, no trailing comments.
  for (const c of cmds) assert.not.match(c, /<\w+>|\s#/, c);
});

report("pasteBlock: a non-default stack directory travels with the token command; no job, no job commands", () => {
  const cmds = pasteBlock({ ...base, stackDir: "/tmp/my stack" })
    .filter((l) => l.startsWith("  "))
    .map((l) => l.trim());
  assert.equal(cmds.length, 4);
  assert.ok(
    cmds.every((c) => !c.includes("/videos/")),
    cmds.join("\n"),
  );
  assert.equal(cmds[3], "export TOKEN=$(HFP_STACK_DIR='/tmp/my stack' npm --prefix /home/me/hfp run -s hfp -- token alice)");
});

report("portsReport: each taken port with what moves it, and a free offset", () => {
  const text = portsReport(
    [
      { owner: "the gateway", port: 8000, variable: "HFP_GATEWAY_PORT" },
      { owner: "projector", port: 8081, variable: "HFP_PORT_OFFSET" },
    ],
    { command: "npm start", freeOffset: 100 },
  ).join("\n");
  assert.match(text, /port 8000 +the gateway +\(move it with HFP_GATEWAY_PORT, or every port with HFP_PORT_OFFSET\)/);
  assert.match(text, /port 8081 +projector +\(move every port with HFP_PORT_OFFSET\)/);
  assert.match(text, /ingest-bridge 8080, extractor 9101, packager 9102, notifier 9103, projector 8081/);
  assert.match(text, /These ports are free now: +HFP_PORT_OFFSET=100 npm start/);
  assert.match(text, /Nothing was started\.$/);
  assert.not.match(portsReport([], { command: "npm start" }).join("\n"), /free now/);
});

report("failureReport: the service, its log path and its last lines", () => {
  const lines = failureReport(
    { service: "notifier", reason: "exited with code 1 before it was ready", logPath: "/s/logs/notifier.log", logTail: ["one", "two"] },
    "start-up",
  );
  assert.equal(lines, [
    "cannot start: notifier exited with code 1 before it was ready",
    "notifier's log: /s/logs/notifier.log",
    "its last 2 log lines:",
    "  | one",
    "  | two",
  ]);
  const empty = failureReport({ service: "extractor", reason: "was killed by SIGKILL", logPath: "/l", logTail: [] }, "running");
  assert.equal(empty[0], "extractor was killed by SIGKILL while running");
  assert.match(empty[2]!, /wrote nothing/);
});

report.run();
