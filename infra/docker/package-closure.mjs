// Prints the node_modules paths a package needs at run time (itself and its
// dependencies, recursively), read from package-lock.json. The image build uses it to
// carry tsx, a development dependency of the workspace, into the production image:
// the services run their TypeScript sources through it.
//   node infra/docker/package-closure.mjs tsx [package-lock.json]
import { readFileSync } from "node:fs";

const [name, lockPath = "package-lock.json"] = process.argv.slice(2);
if (!name) {
  console.error("usage: package-closure.mjs <package> [package-lock.json]");
  process.exit(2);
}
const packages = JSON.parse(readFileSync(lockPath, "utf8")).packages;

/** Node's lookup: the nearest node_modules/<dep> walking up from the requiring package. */
function resolve(from, dep) {
  for (let dir = from; ; ) {
    const candidate = `${dir}/node_modules/${dep}`;
    if (packages[candidate]) return candidate;
    const up = dir.lastIndexOf("/node_modules/");
    if (up < 0) return packages[`node_modules/${dep}`] ? `node_modules/${dep}` : undefined;
    dir = dir.slice(0, up);
  }
}

const seen = new Set();
const queue = [`node_modules/${name}`];
while (queue.length) {
  const path = queue.pop();
  if (seen.has(path) || !packages[path]) continue;
  seen.add(path);
  const p = packages[path];
  for (const dep of Object.keys({ ...p.dependencies, ...p.optionalDependencies })) {
    const found = resolve(path, dep);
    if (found) queue.push(found);
  }
}
if (!seen.size) {
  console.error(`${name} is not in ${lockPath}`);
  process.exit(1);
}
console.log([...seen].sort().join("\n"));
