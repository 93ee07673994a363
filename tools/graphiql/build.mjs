// Bundles src/main.js and Monaco's workers with esbuild into the output folder, and writes
// THIRD_PARTY_LICENSES.txt (every package bundled, its version and license text) and
// SHA256SUMS. Run through build.sh, which installs the pinned packages first.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, rmSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { build } from "esbuild";

const out = process.argv[2];
if (!out) throw new Error("usage: node build.mjs <output folder>");

// Generated files only: the folder's README.md is written by hand and kept.
const GENERATED = new Set(["graphiql.js", "graphiql.css", "editor.worker.js", "json.worker.js",
  "graphql.worker.js", "THIRD_PARTY_LICENSES.txt", "SHA256SUMS"]);
mkdirSync(out, { recursive: true });
for (const file of readdirSync(out)) {
  if (GENERATED.has(file)) rmSync(join(out, file));
}

const common = {
  bundle: true,
  minify: true,
  legalComments: "none", // collected whole in THIRD_PARTY_LICENSES.txt instead
  target: "es2022",
  metafile: true,
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"' },
};
const results = await Promise.all([
  build({
    ...common,
    entryPoints: { graphiql: "src/main.js" },
    outdir: out,
    format: "iife",
    loader: { ".ttf": "dataurl" },
  }),
  build({
    ...common,
    entryPoints: {
      "editor.worker": "monaco-editor/esm/vs/editor/editor.worker.js",
      "json.worker": "monaco-editor/esm/vs/language/json/json.worker.js",
      "graphql.worker": "monaco-graphql/esm/graphql.worker.js",
    },
    outdir: out,
    format: "iife",
  }),
]);

// Which packages ended up in the bundles, by the inputs esbuild read.
const packages = new Map();
for (const result of results) {
  for (const input of Object.keys(result.metafile.inputs)) {
    const parts = input.split(sep === "/" ? "/" : /[\\/]/);
    const at = parts.lastIndexOf("node_modules");
    if (at < 0) continue;
    const name = parts[at + 1].startsWith("@") ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1];
    const folder = join(...parts.slice(0, at + 1 + name.split("/").length));
    packages.set(name, folder);
  }
}
const sections = [];
for (const [name, folder] of [...packages].sort(([a], [b]) => a.localeCompare(b))) {
  const manifest = JSON.parse(readFileSync(join(folder, "package.json"), "utf8"));
  const licenseFile = readdirSync(folder).find((file) => /^(licen[cs]e|copying)/i.test(file));
  const text = licenseFile ? readFileSync(join(folder, licenseFile), "utf8").trim() : `(no license file in the package; its package.json declares ${manifest.license})`;
  sections.push(`${name} ${manifest.version} (${manifest.license ?? "see below"})\n\n${text}\n`);
}
writeFileSync(
  join(out, "THIRD_PARTY_LICENSES.txt"),
  `The packages bundled into this folder's .js and .css files, from the npm registry.\n\n${"=".repeat(78)}\n` +
    sections.join(`\n${"=".repeat(78)}\n`),
);

const sums = readdirSync(out)
  .filter((file) => GENERATED.has(file) && file !== "SHA256SUMS")
  .sort()
  .map((file) => `${createHash("sha256").update(readFileSync(join(out, file))).digest("hex")}  ${file}`);
writeFileSync(join(out, "SHA256SUMS"), `${sums.join("\n")}\n`);
console.log(`wrote ${sums.length} files and SHA256SUMS to ${relative(process.cwd(), out) || out}`);
