#!/usr/bin/env node
import { ConfigError, loadConfig } from "@hfp/config";
import { cliConfig, CliError, Context } from "./context.ts";
import { commands, usage } from "./commands.ts";

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(usage());
    return name && name !== "help" && name !== "--help" ? 2 : 0;
  }
  const ctx = new Context(loadConfig(cliConfig));
  try {
    return await command.run(ctx, args);
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
