// Swagger UI's "Try it out" on every operation, in headless Chromium, as a person does it: open
// /swagger-ui/, log in through the Authorize dialog (`login`, the password flow), then for each
// operation expand it, press "Try it out", type the ids of records that exist into its path
// parameters (and, where the pre-filled example body names a record, into the body), leave
// everything else as Swagger UI pre-fills it, press "Execute", and read the status code Swagger
// UI shows under "Server response". Each must be the operation's documented success (its lowest
// 2xx). The order and the ids are those of tests/api/examples.rs, which sends the same requests
// over plain HTTP: creations first, then reads and actions, then changes, then deletions in
// reverse order; reads use the demo data, changes and deletions the run's own records.
// The page must raise no error, log no console error and fail no request of its own.
//
// Two tabs share the work, as two people would (Swagger UI's page is slow to expand an
// operation of a large OpenAPI 3.1 document): tab A runs everything that creates, changes or
// deletes, and everything that uses the run's own records, in the order above; tab B runs the
// reads and actions that need only the demo data, meanwhile. Each tab logs in through its own
// Authorize dialog (separate browser contexts).
//
// Run by scripts/swagger-ui-test.sh, with CRESS_URL, CRESS_EMAIL, CRESS_PASSWORD (an
// administrator) and SCREENSHOTS (where a failure's screenshot goes).
import { chromium } from "playwright-core";

const base = process.env.CRESS_URL;
const email = process.env.CRESS_EMAIL;
const password = process.env.CRESS_PASSWORD;
const shots = process.env.SCREENSHOTS ?? "/tmp";
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

// Records are created in this order and deleted in the reverse one.
const COLLECTIONS = [
  "organisations",
  "esus-accreditations",
  "clubs",
  "members",
  "events",
  "sponsorships",
  "users",
  "clients",
  "webhooks",
];

/** The collection an operation's `{id}` names, and the collection a POST to it creates. */
function collectionsOf(path) {
  const segments = path.replace(/^\/api\/v1\//, "").split("/");
  const known = (name) => (COLLECTIONS.includes(name) ? name : undefined);
  if (segments.length === 3 && segments[0] === "organisations" && segments[2] === "esus-accreditations") {
    return ["organisations", "esus-accreditations"];
  }
  if (segments.length === 3 && segments[0] === "clubs" && segments[2] === "members") return ["clubs", "members"];
  if (segments.length === 4 && segments[0] === "clubs" && segments[2] === "members") return ["members", undefined];
  if (segments.length === 1) return [known(segments[0]) ?? "", known(segments[0])];
  return [known(segments[0]) ?? "", undefined];
}

/** When an operation runs: [phase, rank]. */
function turn(method, path) {
  const [named, creates] = collectionsOf(path);
  const rank = (c) => Math.max(0, COLLECTIONS.indexOf(c));
  if (method === "post" && creates) return [0, rank(creates)];
  if (method === "patch") return [2, rank(named)];
  if (method === "delete") return [3, COLLECTIONS.length - rank(named)];
  return [1, rank(named)];
}

/**
 * The ids an example body names, replaced with records that exist: demo organisations, clubs and
 * events, and for a new membership or an accreditation the organisation the run created. Returns
 * whether anything changed (a person edits the body only then).
 */
function withIds(body, demo, created) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return false;
  let changed = false;
  const set = (object, key, value) => {
    if (object[key] !== value) changed = true;
    object[key] = value;
  };
  for (const key of Object.keys(body)) {
    if (key === "host_organisation_id" || key === "sponsor_id") set(body, key, demo.organisations);
    else if (key === "organisation_id") set(body, key, created.organisations);
    else if (key === "club_id") set(body, key, demo.clubs);
    else if (key === "beneficiary" && body[key] && typeof body[key] === "object") {
      const kind = { club: "clubs", event: "events" }[body[key].type] ?? "organisations";
      set(body[key], "id", created[kind] ?? demo[kind]);
    }
  }
  return changed;
}

async function firstId(path, token) {
  const response = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
  const page = await response.json();
  if (!page.items?.length) throw new Error(`${path} lists nothing`);
  return page.items[0].id;
}

const started = Date.now();
// The document, and the demo's ids, as a person reads them in the lists beforehand.
const doc = await (await fetch(`${base}/api-docs/openapi.json`)).json();
const login = await fetch(`${base}/api/v1/auth/token`, {
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ email, password }),
});
if (!login.ok) throw new Error(`the administrator cannot log in: ${login.status} ${await login.text()}`);
const { access_token: token } = await login.json();
const demo = {
  organisations: await firstId("/api/v1/organisations?q=mutuelle", token),
  clubs: await firstId("/api/v1/clubs", token),
  events: await firstId("/api/v1/events", token),
  sponsorships: await firstId("/api/v1/sponsorships", token),
};
const accredited = await firstId("/api/v1/organisations?esus_status=granted", token);
demo["esus-accreditations"] = await firstId(`/api/v1/organisations/${accredited}/esus-accreditations`, token);
const created = {};
console.log(`demo ids: ${Object.entries(demo).map(([c, id]) => `${c} ${id}`).join(", ")}`);

const operations = [];
for (const [path, item] of Object.entries(doc.paths)) {
  for (const method of METHODS) {
    const operation = item[method];
    if (!operation) continue;
    const success = Object.keys(operation.responses ?? {}).filter((code) => /^2\d\d$/.test(code)).sort()[0];
    const [named, creates] = collectionsOf(path);
    const [phase] = turn(method, path);
    // As examples.rs: a membership is of the demo club; a new accreditation is the run's
    // organisation's; reads use the demo's records (or the run's own accounts, clients and
    // subscriptions, which the demo has none of); changes and deletions use the run's own.
    let id;
    if (creates === "members" || named === "members") id = () => demo.clubs;
    else if (phase === 0 && named === "organisations") id = () => created.organisations;
    else if (phase === 1) id = () => demo[named] ?? created[named];
    else id = () => created[named];
    const params = [...(item.parameters ?? []), ...(operation.parameters ?? [])]
      .filter((p) => p.in === "path")
      .map((p) => p.name);
    // Whether it needs what the run creates: then it waits for the creations, in tab A.
    const own =
      phase !== 1 ||
      params.includes("organisation_id") ||
      (params.includes("id") && !demo[named]) ||
      // The login example is the account that POST /api/v1/users creates.
      path === "/api/v1/auth/token";
    operations.push({ path, method, operation, success, turn: turn(method, path), phase, creates, id, own });
  }
}
// A stable sort: within a turn, the document's order.
operations.sort((a, b) => a.turn[0] - b.turn[0] || a.turn[1] - b.turn[1]);

// Debian's Chromium; playwright-core gives the launch a fresh temporary user-data-dir.
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

// Requests of Swagger UI's own (its files, the document) must all succeed; the API's answers to
// Try it out are judged per operation.
const apiPaths = Object.keys(doc.paths).map((p) => new RegExp(`^${p.replace(/\{[^}]+\}/g, "[^/]+")}$`));
const isApi = (url) => {
  const { origin, pathname } = new URL(url);
  return origin === new URL(base).origin && apiPaths.some((p) => p.test(pathname));
};
const failures = [];
const pageProblems = [];
const results = new Map();
let shotCount = 0;

/** A new tab, in a fresh browser context (no storage), that reports what goes wrong. */
async function openTab(name) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on("pageerror", (error) => pageProblems.push(`tab ${name}: uncaught: ${String(error).split("\n")[0]}`));
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const at = message.location()?.url ?? "";
    // The browser logs every non-2xx answer; Try it out's are judged per operation.
    if (/^Failed to load resource: the server responded with a status of/.test(message.text()) && at && isApi(at)) return;
    pageProblems.push(`tab ${name}: console error: ${message.text()}${at ? ` (${at})` : ""}`);
  });
  page.on("requestfailed", (request) =>
    pageProblems.push(`tab ${name}: request failed: ${request.method()} ${request.url()}: ${request.failure()?.errorText}`),
  );
  page.on("response", (response) => {
    if (response.status() >= 400 && !isApi(response.url())) {
      pageProblems.push(`tab ${name}: request answered ${response.status()}: ${response.request().method()} ${response.url()}`);
    }
  });
  return page;
}

async function screenshot(page, name, target = page) {
  const path = `${shots}/${String(++shotCount).padStart(2, "0")}-${name.replace(/[^a-z0-9]+/gi, "-")}.png`;
  try {
    await target.screenshot({ path, timeout: 5000 });
  } catch {
    await page.screenshot({ path, timeout: 5000 }).catch(() => {});
  }
  return path;
}

/** Opens Swagger UI, checks that it shows the API and all its operations, and logs in. */
async function start(page, name) {
  await page.goto(`${base}/swagger-ui/`);
  await page.locator(".opblock").first().waitFor({ timeout: 30000 });

  // The page names the API: its title (the tab) and the heading of the document it shows.
  const title = await page.title();
  const heading = (await page.locator(".information-container .title").first().innerText()).trim();
  if (!title.includes(doc.info.title)) failures.push(`tab ${name}: the page title does not name the API (${doc.info.title}): "${title}"`);
  if (!heading.startsWith(doc.info.title)) failures.push(`tab ${name}: the page's heading is not the API's title: "${heading}"`);

  // Every operation appears: open any collapsed tag, then compare with the document.
  for (const tag of await page.locator(".opblock-tag-section:not(.is-open) .opblock-tag").all()) await tag.click();
  const shown = await page.locator(".opblock").evaluateAll((blocks) =>
    blocks.map((block) => {
      const method = block.querySelector(".opblock-summary-method")?.textContent.trim().toLowerCase();
      const path = block.querySelector(".opblock-summary-path")?.getAttribute("data-path");
      return `${method} ${path}`;
    }),
  );
  const documented = operations.map(({ method, path }) => `${method} ${path}`);
  if (shown.length !== documented.length) failures.push(`tab ${name}: Swagger UI shows ${shown.length} operations, the document has ${documented.length}`);
  const missing = documented.filter((op) => !shown.includes(op));
  if (missing.length > 0) failures.push(`tab ${name}: not shown in Swagger UI: ${missing.join(", ")}`);

  // Authorize: `login`, the OAuth 2.0 password flow, with the administrator's e-mail and password.
  await page.locator(".auth-wrapper .btn.authorize").click();
  const dialog = page.locator(".auth-container").filter({ hasText: "login (OAuth2, password)" });
  await dialog.locator("#oauth_username").fill(email);
  await dialog.locator("#oauth_password").fill(password);
  await dialog.locator("button.authorize").click();
  const loggedIn = await dialog
    .locator("button", { hasText: "Logout" })
    .waitFor({ timeout: 15000 })
    .then(() => true)
    .catch(() => false);
  const text = (await dialog.innerText()).replace(/\s+/g, " ");
  if (!loggedIn || !/\bAuthorized\b/.test(text) || /error/i.test(text)) {
    throw new Error(`the Authorize dialog did not log in (screenshot ${await screenshot(page, `${name}-authorize`)}): ${text}`);
  }
  await dialog.locator("button.btn-done").click();
  await page.locator(".modal-ux").waitFor({ state: "detached" });
  console.log(
    `tab ${name}: "${title}", ${shown.length} operations shown (the document has ${documented.length}); ` +
      "Authorize (login, password flow): Authorized",
  );
}

/** An operation's block, by the id Swagger UI gives it for deep links (tag and operation id). */
function blockOf(page, operation) {
  return page.locator(`[id="operations-${operation.tags?.[0] ?? "default"}-${operation.operationId}"]`);
}

/** Try it out on one operation; throws what went wrong. */
async function tryItOut(page, run) {
  const { path, method, operation, success, phase, creates } = run;
  const block = blockOf(page, operation);
  const shownAs = await block
    .evaluate((b) => {
      const shownMethod = b.querySelector(".opblock-summary-method")?.textContent.trim().toLowerCase();
      return `${shownMethod} ${b.querySelector(".opblock-summary-path")?.getAttribute("data-path")}`;
    }, null, { timeout: 5000 })
    .catch(() => "nothing");
  if (shownAs !== `${method} ${path}`) throw new Error(`its block shows ${shownAs}`);

  await block.locator(".opblock-summary-control").click();
  await block.locator(".try-out__btn").click();
  const typed = [];
  for (const row of await block.locator('tr[data-param-in="path"]').all()) {
    const name = await row.getAttribute("data-param-name");
    const select = row.locator("select");
    if ((await select.count()) > 0) {
      // An enumerated path parameter (a problem code): the first one the list offers.
      const options = await select.locator("option").evaluateAll((o) => o.map((x) => x.value));
      const first = options.find((v) => v && v !== "--");
      await select.selectOption(first);
      typed.push(`${name}=${first}`);
      continue;
    }
    const value = { id: run.id(), organisation_id: created.organisations }[name];
    if (!value) throw new Error(`no record for the path parameter ${name}`);
    await row.locator("input").fill(value);
    typed.push(`${name}=${value}`);
  }
  const body = block.locator("textarea.body-param__text");
  let edited = false;
  if ((await body.count()) > 0) {
    let value;
    try {
      value = JSON.parse(await body.inputValue());
    } catch {
      value = undefined;
    }
    if (value !== undefined && withIds(value, demo, created)) {
      await body.fill(JSON.stringify(value, null, 2));
      edited = true;
    }
  }
  await block.locator("button.execute").click();
  const row = block.locator(".live-responses-table tbody tr.response");
  await row.locator(".response-col_status").waitFor({ timeout: 20000 });
  const status = (await row.locator(".response-col_status").innerText()).trim().split(/\s+/)[0];
  const answer = row.locator(".response-col_description pre").first();
  const answerText = (await answer.count()) > 0 ? await answer.innerText() : "";
  if (status !== success) {
    const url = await block.locator(".request-url pre").innerText().catch(() => "?");
    const error = new Error(
      `Swagger UI shows ${status}, documented ${success}; it sent ${method.toUpperCase()} ${url}` +
        `${edited ? " (ids put into the body)" : ""}; the answer: ${answerText.replace(/\s+/g, " ").slice(0, 400)}`,
    );
    error.status = status;
    throw error;
  }
  if (phase === 0 && creates) {
    const record = JSON.parse(answerText);
    created[creates] = record.id ?? record.organisation_id;
    if (!created[creates]) throw new Error(`no id in the answer: ${answerText.slice(0, 200)}`);
  }
  // Collapsed again, so that the page stays light.
  await block.locator(".opblock-summary-control").click();
  return { status, typed, edited };
}

/** Runs a tab's operations in order. */
async function lane(name, runs) {
  const page = await openTab(name);
  try {
    await start(page, name);
  } catch (error) {
    for (const run of runs) results.set(run, { ok: false, status: "---", message: `tab ${name} did not start` });
    failures.push(`tab ${name}: ${error.message.split("\n")[0]}`);
    return;
  }
  for (const run of runs) {
    const label = `[${name}] ${run.method.toUpperCase().padEnd(6)} ${run.path}`;
    try {
      const { status, typed, edited } = await tryItOut(page, run);
      results.set(run, { ok: true, status });
      console.log(`${label}  ${status}  OK${typed.length ? `  (${typed.join(", ")})` : ""}${edited ? "  (body: ids)" : ""}`);
    } catch (error) {
      const message = error.message.split("\n")[0];
      // The operation's whole block: its parameters, the request Swagger UI sent, the answer.
      const block = blockOf(page, run.operation);
      const shot = page.isClosed() ? "none" : await screenshot(page, `${run.method}-${run.path}`, block);
      results.set(run, { ok: false, status: error.status ?? "---", message: `${message} (screenshot ${shot})` });
      console.log(`${label}  ${error.status ?? "---"}  FAIL  ${message} (screenshot ${shot})`);
      if (page.isClosed()) break;
      // Collapsed again, so that the page stays light.
      await block.locator(".opblock-summary-control").click({ timeout: 5000 }).catch(() => {});
    }
  }
}

try {
  await Promise.all([
    lane("A", operations.filter((run) => run.own)),
    lane("B", operations.filter((run) => !run.own)),
  ]);
} finally {
  await browser.close();
}

// One line per operation, in the order of the document's runs.
console.log("\n== every operation, as Swagger UI's Try it out answered it");
let passed = 0;
for (const run of operations) {
  const result = results.get(run) ?? { ok: false, status: "---", message: "not run" };
  if (result.ok) passed += 1;
  else failures.push(`${run.method.toUpperCase()} ${run.path}: ${result.message}`);
  console.log(`${run.method.toUpperCase().padEnd(6)} ${run.path.padEnd(50)} ${String(result.status).padEnd(4)} ${result.ok ? "OK" : "FAIL"}`);
}
for (const problem of pageProblems) console.log(`page: ${problem}`);
failures.push(...pageProblems);
console.log(`${passed}/${operations.length} operations succeeded in Swagger UI (${((Date.now() - started) / 1000).toFixed(1)} s)`);
if (passed !== operations.length || failures.length > 0) {
  console.log(`${failures.length} problems:\n${failures.join("\n")}`);
  process.exit(1);
}
