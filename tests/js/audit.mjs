// The GraphQL-over-HTTP spec's audit (npm graphql-http) against a live server; one JSON line per check.
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql
import { auditServer } from "graphql-http";

const url = process.argv[2];
const results = await auditServer({ url });
for (const result of results) {
  const line = { id: result.id, name: result.name, status: result.status };
  if (result.status !== "ok") line.reason = result.reason;
  process.stdout.write(JSON.stringify(line) + "\n");
}
