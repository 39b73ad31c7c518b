#!/usr/bin/env node
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, stackDir, withLocalStackEnv, workspaceRoot } from "@hfp/config";
import { commandGroup, commandHelp, commandWords, parseCommandLine } from "./args.ts";
import { commands, type Command } from "./commands.ts";
import { variablesOf } from "./config.ts";
import { Context } from "./context.ts";
import { CliError, usageError } from "./errors.ts";
import { suggest } from "./suggest.ts";

const root = workspaceRoot(import.meta.url);
const out = (text: string) => process.stdout.write(text);

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return (
    `usage: hfp <command> [arguments] [options]\n\ncommands:\n${lines.join("\n")}\n\n` +
    `hfp <command> --help (or hfp help <command>) prints a command's arguments and options.\n` +
    `Configuration comes from the environment, else from the local stack's env file (${envFile()}); see docs/cli.md.\n`
  );
}

function envFile(): string {
  return join(stackDir(root), "env");
}

function help(name: string, c: Command): string {
  const vars = variablesOf(c.needs);
  return commandHelp(name, c, `reads ${vars.join(", ")} from the environment, else from ${envFile()}`);
}

const names = Object.keys(commands);
const groupOf = (word: string) => commandGroup(word, names);
const split = (words: string[]) => commandWords(words, names);

/** Every command of a group, one help after another. */
const groupHelp = (word: string) =>
  groupOf(word)
    .map((n) => help(n, commands[n]!))
    .join("\n");

function lookup(name: string): Command {
  const c = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (c) return c;
  const near = suggest(name, Object.keys(commands));
  throw usageError(`unknown command "${name}"${near ? `; did you mean \`${near}\`?` : ""}\nrun \`hfp help\` for the list of commands`);
}

/** A missing variable on a machine without a local stack: say where the values would come from. */
function withStackHint<T>(make: () => T): T {
  try {
    return make();
  } catch (err) {
    if (!(err instanceof ConfigError) || existsSync(envFile())) throw err;
    throw new CliError(err.code, `${err.message} (set them, or start the local stack: \`npm run stack up\` writes ${envFile()})`);
  }
}

async function main(argv: string[]): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === "help" || first === "--help" || first === "-h") {
    const words = argv.slice(1);
    if (words.length === 1 && groupOf(words[0]!).length) out(groupHelp(words[0]!));
    else if (words.length) out(help(split(words).name, lookup(split(words).name)));
    else out(usage());
    return 0;
  }
  if (groupOf(first).length && (argv[1] === "--help" || argv[1] === "-h")) {
    out(groupHelp(first));
    return 0;
  }
  const { name, args } = split(argv);
  const command = lookup(name);
  const parsed = parseCommandLine(name, command, args);
  if (parsed.help) {
    out(help(name, command));
    return 0;
  }
  // The explicit environment wins; the stack's file fills the rest, so a command printed by
  // the README or `npm start` works in a new shell. Into process.env because the AWS SDK's
  // credential chain reads AWS_ACCESS_KEY_ID from there.
  Object.assign(process.env, withLocalStackEnv(root));
  const ctx = withStackHint(() => new Context(process.env, command.needs));
  try {
    return await command.run(ctx, parsed.values);
  } finally {
    await ctx.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof CliError || err instanceof ConfigError) {
      process.stderr.write(`error ${err.code}: ${err.message}\n`);
      process.exit(err.code === "USAGE" ? 2 : 1);
    }
    process.stderr.write(`error INTERNAL: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
