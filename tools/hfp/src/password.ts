// A password for `hfp user add`: from stdin (`--password-stdin`, for scripts) or asked for on
// the terminal without echo. Never from an option: a command line lands in shell history and
// in every `ps` listing.
import type { Readable } from "node:stream";
import { CliError, usageError } from "./errors.ts";

/** All of stdin, without the one line ending `echo` or a heredoc adds. */
export async function passwordFromStream(input: Readable): Promise<string> {
  let text = "";
  input.setEncoding("utf8");
  for await (const chunk of input) text += chunk as string;
  const password = text.replace(/\r?\n$/, "");
  if (password === "") throw usageError("--password-stdin read no password from stdin");
  if (/[\r\n]/.test(password)) throw usageError("--password-stdin read more than one line; give the password alone");
  return password;
}

interface Terminal {
  input: NodeJS.ReadStream;
  output: NodeJS.WritableStream;
}

/** One line typed without echo; Ctrl-C or Ctrl-D give up. */
function askHidden(prompt: string, t: Terminal): Promise<string> {
  return new Promise((resolve, reject) => {
    let typed = "";
    t.output.write(prompt);
    t.input.setRawMode(true);
    t.input.setEncoding("utf8");
    const done = (err?: Error) => {
      t.input.setRawMode(false);
      t.input.off("data", onData);
      t.input.pause();
      t.output.write("\n");
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003" || ch === "\u0004") return done(new CliError("CANCELED", "no password given"));
        if (ch === "\u007f" || ch === "\b") typed = typed.slice(0, -1);
        else if (ch >= " ") typed += ch;
      }
    };
    t.input.on("data", onData);
    t.input.resume();
  });
}

/** Asked twice on the terminal, so a typo does not become the user's password. */
export async function passwordFromTerminal(
  username: string,
  t: Terminal = { input: process.stdin, output: process.stderr },
): Promise<string> {
  if (!t.input.isTTY) {
    throw usageError("stdin is not a terminal to ask for the password on; pipe it in with --password-stdin");
  }
  const first = await askHidden(`password for ${username}: `, t);
  if (first === "") throw usageError("no password given");
  const again = await askHidden("the same again: ", t);
  if (again !== first) throw usageError("the two passwords differ; nothing was changed");
  return first;
}
