// Refuses what would hide a gap between the OpenAPI document and the code that uses it:
//   node no-casts.mjs roundtrip.ts
// read by the TypeScript parser itself (so comments and strings are never mistaken for code):
// a cast (`x as T`, `as const` too, `<T>x`), the `any` type, a non-null assertion (`x!`),
// a `@ts-ignore` / `@ts-expect-error` / `@ts-nocheck` directive. Exits 1 and names each line.
import { readFileSync } from "node:fs";
import ts from "typescript";

let found = 0;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const report = (position, what) => {
    const { line } = source.getLineAndCharacterOfPosition(position);
    console.log(`${file}:${line + 1}: ${what}: ${text.split("\n")[line].trim()}`);
    found += 1;
  };
  const visit = (node) => {
    if (ts.isAsExpression(node)) {
      report(node.getStart(source), "a cast (as)");
    } else if (ts.isTypeAssertionExpression(node)) {
      report(node.getStart(source), "a cast (<T>)");
    } else if (ts.isNonNullExpression(node)) {
      report(node.getStart(source), "a non-null assertion (!)");
    } else if (node.kind === ts.SyntaxKind.AnyKeyword) {
      report(node.getStart(source), "the any type");
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  // Compiler directives: refused anywhere in the file, comments and strings alike.
  for (const match of text.matchAll(/@ts-(ignore|expect-error|nocheck)/g)) report(match.index, "a compiler directive");
}
if (found > 0) {
  console.log(`${found} cast(s), any, non-null assertion(s) or directive(s): the document must type this code as it is`);
  process.exit(1);
}
