// Types for the operations in operations/, from the service's printed schema (../schema.graphql).
// `npm run codegen` writes src/generated/graphql.ts: one TypedDocumentNode per operation, with
// its result and variables types. typescript-operations 6 also writes the enums and input types
// the operations use (the `typescript` plugin beside it would declare them a second time).
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: ["operations/**/*.graphql"],
  generates: {
    "src/generated/graphql.ts": {
      plugins: ["typescript-operations", "typed-document-node"],
      config: {
        // The service's scalars as they travel in JSON (schema/scalars.py).
        scalars: {
          ID: { input: "string", output: "string" },
          Date: { input: "string", output: "string" }, // YYYY-MM-DD
          DateTime: { input: "string", output: "string" }, // RFC 3339, UTC: 2026-12-05T07:20:30.123Z
          Decimal: { input: "string", output: "string" }, // "18.50": never a float
          Currency: { input: "string", output: "string" }, // ISO 4217: "USD"
          JSON: { input: "unknown", output: "unknown" },
          Upload: { input: "File | Blob", output: "never" },
        },
        // A scalar added to the schema later is `unknown` until it is mapped here.
        defaultScalarType: "unknown",
        enumsAsTypes: true,
        useTypeImports: true,
        avoidOptionals: { field: true, inputValue: false, object: true },
        skipTypename: true,
      },
    },
  },
};

export default config;
