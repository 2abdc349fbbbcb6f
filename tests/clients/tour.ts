// A tour of the API through openapi-fetch, typed by what openapi-typescript generates from the
// served spec (`talentflow-api`, mapped in tsconfig.json to target/clients/ts/schema.d.ts). Run by
// tests/api/clients.rs: `tsc --strict --noEmit` first, so a spec type that does not fit what a
// client does with the API fails the build; then the compiled tour runs against the real binary
// on a fresh database with the demo data. Every step asserts on values and prints one line.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";

import createClient from "openapi-fetch";
import type { components, paths } from "talentflow-api";

type Schemas = components["schemas"];
type Move = Schemas["Move"];
type CompanyRef = Schemas["CompanyRef"];
type Problem = Schemas["Problem"];

// What the spec must say, checked by the compiler: a wrong type here is a spec defect.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function holds<_ extends true>(): void {}
// A field that may be null is always sent: required, `T | null`, never `undefined`.
holds<Equal<Pick<Move, "from" | "to" | "title">, { from: CompanyRef | null; to: CompanyRef | null; title: string | null }>>();
holds<Equal<Pick<Schemas["Page_Move"], "next_cursor" | "data">, { next_cursor: string | null; data: Move[] }>>();
// A conditional header is a string when sent, never null.
holds<Equal<NonNullable<paths["/v1/moves/{id}"]["get"]["parameters"]["header"]>["If-None-Match"], string | undefined>>();
holds<Equal<NonNullable<paths["/v1/moves/{id}"]["patch"]["parameters"]["header"]>["If-Match"], string | undefined>>();
// Closed vocabularies are enums.
holds<Equal<Schemas["SearchHit"]["type"], "researcher" | "company" | "project">>();
holds<Equal<Schemas["HistoryEntry"]["action"], "create" | "update" | "delete" | "merge">>();

const baseUrl = process.env.BASE_URL;
const key = process.env.EDITOR_KEY;
assert.ok(baseUrl && key, "set BASE_URL and EDITOR_KEY");
const run = randomUUID().slice(0, 8);

// JSON only: the lists' `text/csv` alternative is not what this client reads.
type Json = "application/json" | "application/problem+json";
const anonymous = createClient<paths, Json>({ baseUrl });
const editor = createClient<paths, Json>({ baseUrl, headers: { Authorization: `Bearer ${key}` } });

function step(message: string): void {
  console.log(`typescript: ${message}`);
}

/** The body of an answer that must have this status. */
function ok<T>(result: { data?: T; error?: unknown; response: Response }, status: number): T {
  assert.equal(result.response.status, status, `expected ${status}: ${JSON.stringify(result.error)}`);
  assert.ok(result.data !== undefined, "a body");
  return result.data;
}

/** A problem+json answer with this status. */
function problem(result: { error?: Problem; response: Response }, status: number): Problem {
  assert.equal(result.response.status, status);
  assert.equal(result.response.headers.get("content-type"), "application/problem+json");
  assert.ok(result.error !== undefined, "a problem");
  assert.equal(result.error.status, status);
  return result.error;
}

// 1. Moves to Meta.
const toMeta = ok(await anonymous.GET("/v1/moves", { params: { query: { to: "meta", include_total: true } } }), 200);
const moves: Move[] = toMeta.data;
assert.ok(moves.length > 0 && moves.every((m) => m.to?.slug === "meta"));
assert.equal(toMeta.total, moves.length);
const valko = moves.find((m) => m.researcher.slug === "michal-valko");
assert.ok(valko);
const from: CompanyRef | null = valko.from;
assert.equal(from?.slug, "google-deepmind");
assert.equal(valko.kind, "hire");
assert.equal(valko.effective_on, "2024-03-01");
assert.equal(valko.sources[0]?.source.publisher, "The Information");
step(`${toMeta.total} move(s) to Meta; ${valko.researcher.name} from ${from?.name}`);

// 2. Search forgives a typo.
const hits = ok(await anonymous.GET("/v1/search", { params: { query: { q: "balko" } } }), 200);
assert.equal(hits[0]?.type, "researcher");
assert.equal(hits[0]?.name, "Michal Valko");
step(`search 'balko' finds ${hits[0]?.name}`);

// 3. Every company, two at a time, by cursor.
const slugs: string[] = [];
let cursor: string | undefined;
let total: number | undefined;
for (let pages = 1; ; pages++) {
  const page = ok(
    await anonymous.GET("/v1/companies", { params: { query: { limit: 2, cursor, include_total: true } } }),
    200,
  );
  total ??= page.total;
  assert.equal(page.total, total);
  slugs.push(...page.data.map((c: Schemas["Company"]) => c.slug));
  const next: string | null = page.next_cursor;
  if (next === null) break;
  cursor = next;
  assert.ok(pages < 100, "the cursor never ends");
}
assert.equal(new Set(slugs).size, slugs.length, `a company came twice: ${slugs}`);
assert.equal(slugs.length, total);
step(`${total} companies by cursor, none twice`);

// 4. With the editor key: a researcher and a move.
const refused = await anonymous.POST("/v1/researchers", { body: { name: "Nobody" } });
assert.deepEqual(problem(refused, 401).errors, []);
const name = `TS Tour ${run}`;
const researcher = ok(
  await editor.POST("/v1/researchers", {
    params: { header: { "Idempotency-Key": `ts-tour-researcher-${run}` } },
    body: { name, topics: ["generated clients"] },
  }),
  201,
);
assert.equal(researcher.name, name);
const created = ok(
  await editor.POST("/v1/moves", {
    body: {
      researcher: researcher.slug,
      kind: "founding",
      from: "openai",
      to: "mistral-ai",
      effective_on: "2025-09",
      title: "Co-founder",
    },
  }),
  201,
);
assert.equal(created.researcher.id, researcher.id);
assert.equal(created.to?.slug, "mistral-ai");
assert.equal(created.effective_on, "2025-09-01");
assert.equal(created.effective_precision, "month");
step(`created ${researcher.slug} and a ${created.kind} move to ${created.to?.name}`);

// 5. A conditional GET: the ETag sent back as If-None-Match gives 304 and no body.
const read = await anonymous.GET("/v1/moves/{id}", { params: { path: { id: created.id } } });
assert.equal(ok(read, 200).id, created.id);
const etag = read.response.headers.get("etag");
assert.ok(etag);
const unchanged = await anonymous.GET("/v1/moves/{id}", {
  params: { path: { id: created.id }, header: { "If-None-Match": etag } },
});
assert.equal(unchanged.response.status, 304);
assert.equal(unchanged.data, undefined);
step(`GET with If-None-Match ${etag} -> 304`);

// 6. A PATCH with If-Match.
const patched = ok(
  await editor.PATCH("/v1/moves/{id}", {
    params: { path: { id: created.id }, header: { "If-Match": etag } },
    body: { title: "Co-founder and Chief Scientist" },
  }),
  200,
);
assert.equal(patched.title, "Co-founder and Chief Scientist");
assert.equal(patched.version, created.version + 1);
const stale = await editor.PATCH("/v1/moves/{id}", {
  params: { path: { id: created.id }, header: { "If-Match": etag } },
  body: { title: "Lost update" },
});
assert.equal(problem(stale, 412).type, "/problems/precondition-failed");
step(`PATCH with If-Match -> 200 (version ${patched.version}); stale -> 412`);

// 7. A validation problem.
const invalid = await editor.POST("/v1/moves", {
  body: { researcher: researcher.slug, kind: "hire", from: "meta", to: "meta", effective_on: "2025-10" },
});
const found: Problem = problem(invalid, 422);
assert.equal(found.type, "/problems/validation");
assert.equal(found.errors[0]?.field, "to");
assert.equal(found.errors[0]?.message, "must differ from `from`");
step(`422 ${found.title}: ${found.errors[0]?.field} ${found.errors[0]?.message}`);

console.log("typescript: the generated types and openapi-fetch did the whole tour");
