// A Cress front-end's round trip through the client generated from openapi/openapi.json
// (openapi-typescript + openapi-fetch), compiled with `tsc --strict` and run against a real
// server by scripts/clients-test.sh. No cast, no `any`, no non-null assertion: what the
// document declares is what the code gets.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Organisation = components["schemas"]["OrganisationResponse"];

const base = process.env.CRESS_URL ?? "http://127.0.0.1:8080";
const email = process.env.CRESS_EMAIL ?? "";
const password = process.env.CRESS_PASSWORD ?? "";

function fail(what: string, detail: unknown): never {
  throw new Error(`${what}: ${JSON.stringify(detail)}`);
}

// openapi-fetch with its default media type (lists declare JSON alone; their CSV and XLSX
// exports are asked for with Accept and described in text).
const anonymous = createClient<paths>({ baseUrl: base });

const login = await anonymous.POST("/api/v1/auth/token", { body: { email, password } });
if (login.data === undefined) fail("log in", login.error);
const token: string = login.data.access_token;
const api = createClient<paths>({
  baseUrl: base,
  headers: { Authorization: `Bearer ${token}`, "Accept-Language": "en" },
});

// Every organisation, page after page.
const pageAt = (cursor: string | undefined) =>
  api.GET("/api/v1/organisations", { params: { query: { limit: 2, cursor, count: true } } });
const everyone: Organisation[] = [];
let cursor: string | undefined = undefined;
let total: number | undefined = undefined;
for (;;) {
  const page = await pageAt(cursor);
  if (page.data === undefined) fail("list organisations", page.error);
  everyone.push(...page.data.items);
  total = page.data.total ?? total;
  if (!page.data.has_more || page.data.next_cursor === null || page.data.next_cursor === undefined) break;
  cursor = page.data.next_cursor;
}
if (total !== everyone.length) fail("the total counts every organisation", { total, listed: everyone.length });

// Create, then change with If-Match.
const created = await api.POST("/api/v1/organisations", {
  body: {
    name: "Recyclerie du Lodévois",
    category: "association",
    region_code: "76",
    city: "Lodève",
    postal_code: "34700",
    commune_code: "34142",
  },
});
if (created.data === undefined) fail("create an organisation", created.error);
const id: string = created.data.id;
const etag = created.response.headers.get("ETag") ?? fail("the creation's ETag", created.response.status);

const changed = await api.PATCH("/api/v1/organisations/{id}", {
  params: { path: { id }, header: { "If-Match": etag } },
  body: { website: "https://recyclerie-lodevois.example/" },
});
if (changed.data === undefined) fail("change the organisation", changed.error);
if (changed.data.version !== created.data.version + 1) fail("the version moves on", changed.data);

const stale = await api.PATCH("/api/v1/organisations/{id}", {
  params: { path: { id }, header: { "If-Match": etag } },
  body: { website: null },
});
if (stale.response.status !== 412 || stale.error === undefined) fail("a stale If-Match is a 412", stale.response.status);
const problem: string = stale.error.code;
if (problem !== "precondition_failed") fail("its code", problem);

// The change feed: the creation is in it.
const feed = await api.GET("/api/v1/changes", { params: { query: { types: "organisation" } } });
if (feed.data === undefined) fail("read the feed", feed.error);
const mine = feed.data.items.filter((item) => item.id === id);
if (mine.length !== 2 || mine[0].action !== "created") fail("the feed holds the creation and the change", mine);
// `data` is typed by `type` (a discriminated oneOf): an organisation's record has its fields.
const latest = mine[1];
if (latest.type !== "organisation" || latest.data === null) fail("the change is an organisation's", latest);
const website: string | null = latest.data.website;
const stored: "applied" | "granted" | "refused" | "withdrawn" | null = latest.data.esus_status;
if (website !== "https://recyclerie-lodevois.example/" || stored !== null) fail("the feed's data is the record", latest.data);

// The audit trail: who changed what.
const audit = await api.GET("/api/v1/audit", { params: { query: { resource: "organisation", id } } });
if (audit.data === undefined) fail("read the audit", audit.error);
const update = audit.data.items.find((entry) => entry.action === "updated");
if (update === undefined || update.changes === null) fail("the audit holds the change", audit.data.items);
const changedWebsite: unknown = update.changes["website"];
if (changedWebsite === undefined) fail("the audit names the changed field", update.changes);

// Delete with the current ETag.
const current = changed.response.headers.get("ETag") ?? fail("the change's ETag", changed.response.status);
const deleted = await api.DELETE("/api/v1/organisations/{id}", {
  params: { path: { id }, header: { "If-Match": current } },
});
if (deleted.response.status !== 204) fail("delete the organisation", deleted.error);

console.log(`typescript: ${everyone.length} organisations listed (total ${total}), created, changed, refused stale, fed, audited, deleted`);
