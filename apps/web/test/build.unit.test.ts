// When `npm start` rebuilds the page: the digest of its inputs against the one the last build recorded.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inputsDigest, staleReason, STAMP, webInputs, webRoot, writeStamp } from "../local/build.ts";

const root = mkdtempSync(join(tmpdir(), "hfp-web-build-"));
const pkg = join(root, "apps", "web");
mkdirSync(join(pkg, "src", "ui"), { recursive: true });
const put = (path: string, text: string) => writeFileSync(join(pkg, path), text);
put("index.html", "<div id=app></div>");
put("vite.config.ts", "export default {}");
put("package.json", "{}");
put("src/main.ts", "console.log(1)");
put("src/ui/list.ts", "export {}");
writeFileSync(join(root, "package-lock.json"), '{"lockfileVersion":3}');
test.after(() => rmSync(root, { recursive: true, force: true }));

/** What a finished build leaves: index.html and the digest it recorded. */
function build() {
  mkdirSync(join(pkg, "dist"), { recursive: true });
  writeFileSync(join(pkg, "dist", "index.html"), "<built>");
  writeStamp(join(pkg, "dist"), inputsDigest(pkg));
}

test("the inputs are the sources, the entry, the build config, the manifest and the workspace lockfile", () => {
  const names = webInputs(pkg).map((f) => f.slice(root.length + 1));
  assert.equal(names, [
    "apps/web/index.html",
    "apps/web/package.json",
    "apps/web/src/main.ts",
    "apps/web/src/ui/list.ts",
    "apps/web/vite.config.ts",
    "package-lock.json",
  ]);
  assert.ok(
    webInputs().some((f) => f === join(webRoot, "src", "main.ts")),
    "the real package's entry is an input",
  );
});

test("missing, unstamped, fresh, then stale on an edit, a new file or a lockfile change; not on a touch", () => {
  assert.is(staleReason(pkg), "no build yet");
  mkdirSync(join(pkg, "dist"), { recursive: true });
  writeFileSync(join(pkg, "dist", "index.html"), "<built elsewhere>");
  assert.is(staleReason(pkg), "the build records no digest of its inputs");
  build();
  assert.is(staleReason(pkg), undefined);

  const later = new Date(Date.now() + 60_000);
  utimesSync(join(pkg, "src", "main.ts"), later, later);
  assert.is(staleReason(pkg), undefined, "a newer time alone (a checkout) is no change");

  put("src/main.ts", "console.log(2)");
  assert.is(staleReason(pkg), "the sources changed since the last build");
  build();
  put("src/ui/new.ts", "export {}");
  assert.is(staleReason(pkg), "the sources changed since the last build");
  build();
  writeFileSync(join(root, "package-lock.json"), '{"lockfileVersion":3,"packages":{}}');
  assert.is(staleReason(pkg), "the sources changed since the last build");
  build();
  // A file's name is part of the digest: the same bytes under another name are another page.
  rmSync(join(pkg, "src", "ui", "new.ts"));
  put("src/ui/renamed.ts", "export {}");
  assert.is(staleReason(pkg), "the sources changed since the last build");
  assert.ok(STAMP.startsWith("."), "the stamp is a dotfile, which the page handler never serves");
});

test.run();
