// A Cress front-end's round trip through the client generated from the served OpenAPI document
// (openapi-typescript + openapi-fetch with its default media type), compiled with
// `tsc --strict --noEmit` and run against a real server by scripts/clients-test.sh.
// What the document declares is what the code gets: the script refuses a cast, the `any` type,
// a non-null assertion or a compiler directive in this file.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Organisation = components["schemas"]["OrganisationResponse"];
type Change = components["schemas"]["ChangeItem"];

const base = process.env.CRESS_URL ?? "http://127.0.0.1:8080";
const email = process.env.CRESS_EMAIL ?? "";
const password = process.env.CRESS_PASSWORD ?? "";

function fail(what: string, detail: unknown): never {
  throw new Error(`${what}: ${JSON.stringify(detail)}`);
}

// openapi-fetch's default media type: every media type the document declares for an answer.
const anonymous = createClient<paths>({ baseUrl: base });

// Log in with the password (JSON body).
const login = await anonymous.POST("/api/v1/auth/token", { body: { email, password } });
if (login.data === undefined) fail("log in", login.error);
const token: string = login.data.access_token;
const api = createClient<paths>({
  baseUrl: base,
  headers: { Authorization: `Bearer ${token}`, "Accept-Language": "en" },
});

// Every organisation, page after page: follow `next_cursor` while `has_more`.
const everyone: Organisation[] = [];
let cursor: string | undefined = undefined;
let total: number | undefined = undefined;
let pages = 0;
const pageAt = (at: string | undefined) =>
  api.GET("/api/v1/organisations", { params: { query: { limit: 5, cursor: at, count: true } } });
for (;;) {
  const page = await pageAt(cursor);
  if (page.data === undefined) fail("list organisations", page.error);
  pages += 1;
  everyone.push(...page.data.items);
  total = page.data.total ?? total;
  if (!page.data.has_more) break;
  const next: string | null = page.data.next_cursor;
  if (next === null) fail("a page with more after it names the next one", page.data);
  cursor = next;
}
if (total !== everyone.length) fail("the total counts every organisation", { total, listed: everyone.length });

// Create, then change with If-Match (the ETag of the creation).
const created = await api.POST("/api/v1/organisations", {
  body: {
    name: "Recyclerie du Lodévois",
    category: "association",
    region_code: "76",
    siren: "775672272",
    city: "Lodève",
    postal_code: "34700",
    commune_code: "34142",
  },
});
if (created.data === undefined) fail("create an organisation", created.error);
if (created.response.status !== 201) fail("a creation is a 201", created.response.status);
const id: string = created.data.id;
const siren: string | null = created.data.siren;
if (siren !== "775672272") fail("the SIREN is kept", created.data);
const etag = created.response.headers.get("ETag") ?? fail("the creation's ETag", created.response.status);

const changed = await api.PATCH("/api/v1/organisations/{id}", {
  params: { path: { id }, header: { "If-Match": etag } },
  body: { website: "https://recyclerie-lodevois.example/" },
});
if (changed.data === undefined) fail("change the organisation", changed.error);
if (changed.data.version !== created.data.version + 1) fail("the version moves on", changed.data);
const website: string | null = changed.data.website;
if (website !== "https://recyclerie-lodevois.example/") fail("the change shows", changed.data);

// The same If-Match again is stale: a 412 whose problem code is typed.
const stale = await api.PATCH("/api/v1/organisations/{id}", {
  params: { path: { id }, header: { "If-Match": etag } },
  body: { website: null },
});
if (stale.response.status !== 412 || stale.error === undefined) fail("a stale If-Match is a 412", stale.response.status);
const problem: string = stale.error.code;
if (problem !== "precondition_failed") fail("its code", problem);

// The change feed: each item's `data` is typed by its `type` (a discriminated union).
function describe(item: Change): string {
  switch (item.type) {
    case "organisation":
      return item.data === null ? "organisation deleted" : `organisation ${item.data.name} (${item.data.region_code})`;
    case "esus_accreditation":
      return item.data === null ? "accreditation deleted" : `accreditation ${item.data.status} of ${item.data.organisation_id}`;
    case "club":
      return item.data === null ? "club deleted" : `club ${item.data.name}`;
    case "club_member":
      return item.data === null ? "member left" : `member ${item.data.organisation_id} of club ${item.data.club_id}`;
    case "event":
      return item.data === null ? "event deleted" : `event ${item.data.title} from ${item.data.starts_at}`;
    case "sponsorship":
      return item.data === null ? "sponsorship deleted" : `sponsorship ${item.data.kind} to ${item.data.beneficiary.type}`;
  }
}
const everything = await api.GET("/api/v1/changes", { params: { query: { limit: 200 } } });
if (everything.data === undefined) fail("read the feed", everything.error);
const described = everything.data.items.map(describe);
if (described.length === 0) fail("the feed holds the demo data", everything.data);

const feed = await api.GET("/api/v1/changes", { params: { query: { types: "organisation", limit: 200 } } });
if (feed.data === undefined) fail("read the organisations' feed", feed.error);
const mine = feed.data.items.filter((item) => item.id === id);
if (mine.length !== 2 || mine[0].action !== "created" || mine[1].action !== "updated") {
  fail("the feed holds the creation and the change", mine);
}
const last = mine[1];
if (last.type !== "organisation" || last.data === null) fail("the change is an organisation's, with its data", last);
const mirrored: string | null = last.data.website;
if (mirrored !== website) fail("the feed's data is the record after the change", last.data);

// The audit trail: who changed what.
const audit = await api.GET("/api/v1/audit", { params: { query: { resource: "organisation", id } } });
if (audit.data === undefined) fail("read the audit", audit.error);
const update = audit.data.items.find((entry) => entry.action === "updated");
if (update === undefined || update.changes === null) fail("the audit holds the change", audit.data.items);
const field = update.changes["website"];
if (field === undefined || field.new !== website) fail("the audit names the changed field", update.changes);
const actor: string = update.actor.subject;

// Delete with the current ETag.
const current = changed.response.headers.get("ETag") ?? fail("the change's ETag", changed.response.status);
const deleted = await api.DELETE("/api/v1/organisations/{id}", {
  params: { path: { id }, header: { "If-Match": current } },
});
if (deleted.response.status !== 204) fail("delete the organisation", deleted.error);

console.log(
  `typescript: logged in, ${everyone.length} organisations in ${pages} pages (total ${total}), created, changed, ` +
    `refused stale, ${described.length} feed items narrowed by type, audited (by ${actor}), deleted`,
);
