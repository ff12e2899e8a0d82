// Type-checked (never run) against types that openapi-typescript generates from the
// document of `AutoAPI(models=[Publisher, Author, Book])` with every method, bulk PATCH and
// DELETE included (tests/test_generators.py).
import type { components, paths } from "./library";

type Schemas = components["schemas"];
type Book = Schemas["Book"];
type BookPage = Schemas["BookPage"];
type Problem = Schemas["Problem"];

type JsonOf<R> = R extends { content: { "application/json": infer T } } ? T : never;
type Ok<O> = O extends { responses: { 200: infer R } }
  ? JsonOf<R>
  : O extends { responses: { 201: infer R } }
    ? JsonOf<R>
    : never;
type Body<O> = O extends { requestBody: { content: { "application/json": infer B } } } ? B : never;
type Query<O> = O extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
type HeaderParams<O> = O extends { parameters: { header?: infer H } } ? NonNullable<H> : never;
type Created<O> = O extends { responses: { 201: infer R } } ? JsonOf<R> : never;

const BASE = "http://127.0.0.1:8000/api";

function queryString(query: object): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined) params.append(name, String(item));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

type Options<O> = { query?: Query<O>; body?: Body<O>; headers?: HeaderParams<O> };

async function request<O>(method: string, path: string, options: Options<O>): Promise<Response> {
  const headers = new Headers({ "Content-Type": "application/json" });
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (typeof value === "string") headers.set(name, value);
  }
  return fetch(BASE + path + queryString(options.query ?? {}), {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
}

async function send<O>(method: string, path: string, options: Options<O> = {}): Promise<Ok<O>> {
  const response = await request<O>(method, path, options);
  const data: Ok<O> = await response.json();
  return data;
}

// The status and ETag too, for conditional requests.
async function exchange<O>(
  method: string,
  path: string,
  options: Options<O> = {},
): Promise<{ status: number; etag: string | null; data: Ok<O> }> {
  const response = await request<O>(method, path, options);
  const data: Ok<O> = await response.json();
  return { status: response.status, etag: response.headers.get("ETag"), data };
}

function titles(page: BookPage): string[] {
  return page.items.map((book: Book) => book.title ?? "(untitled)");
}

export async function walkThrough(): Promise<string[]> {
  const author = await send<paths["/authors"]["post"]>("POST", "/authors", {
    body: { firstName: "Ada", lastName: "King" },
  });
  const book = await send<paths["/books"]["post"]>("POST", "/books", {
    body: { title: "Notes", author: author._id },
  });
  const page = await send<paths["/books"]["get"]>("GET", "/books", {
    query: {
      populate: ["author", "coauthor"],
      where: JSON.stringify({ title: { $regex: "^No" } }),
      fields: ["title", "author"],
      sort: ["-title", "created"],
      limit: 10,
    },
  });
  const first = page.items[0];
  const names: string[] = [];
  if (first !== undefined && typeof first.author === "object" && first.author !== null) {
    names.push(first.author.firstName ?? "");
  }
  const one: Book = await send<paths["/books/{id}"]["get"]>("GET", `/books/${book._id}`);
  const patched = await send<paths["/books/{id}"]["patch"]>("PATCH", `/books/${one._id}`, {
    body: { title: "Notes II" },
  });
  const cleared = await send<paths["/books/{id}"]["put"]>("PUT", `/books/${patched._id}`, {
    body: { publisher: null },
  });
  const reverse = await send<paths["/authors/{id}/books"]["get"]>(
    "GET",
    `/authors/${author._id}/books`,
    { query: { sort: ["title"] } },
  );
  const gone = await send<paths["/books/{id}"]["delete"]>("DELETE", `/books/${cleared._id}`);
  const failed: Problem = await invalidCreate();
  return [...names, ...titles(page), ...titles(reverse), String(gone.success), failed.detail];
}

// A failing create answers a typed problem (422).
type CreateProblem =
  paths["/books"]["post"]["responses"][422]["content"]["application/problem+json"];

async function invalidCreate(): Promise<CreateProblem> {
  const response = await fetch(`${BASE}/books`, { method: "POST", body: "{}" });
  const problem: CreateProblem = await response.json();
  return problem;
}

// Every title, following `next` until it is null.
export async function everyTitle(): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: BookPage = await send<paths["/books"]["get"]>("GET", "/books", {
      query: { limit: 2, sort: ["title"], count: "none", cursor: cursor ?? undefined },
    });
    seen.push(...titles(page));
    cursor = page.next;
  } while (cursor !== null);
  return seen;
}

// A PATCH that applies only if nobody changed the book since it was read (412 otherwise).
type StaleProblem =
  paths["/books/{id}"]["patch"]["responses"][412]["content"]["application/problem+json"];

export async function renameIfUnchanged(id: string, title: string): Promise<string> {
  const current = await exchange<paths["/books/{id}"]["get"]>("GET", `/books/${id}`);
  if (current.etag === null) return "no ETag";
  const patched = await exchange<paths["/books/{id}"]["patch"]>("PATCH", `/books/${id}`, {
    body: { title },
    headers: { "If-Match": current.etag },
  });
  if (patched.status === 412) {
    const stale: StaleProblem = { type: "about:blank", title: "", status: 412, detail: "" };
    return stale.detail;
  }
  return patched.data.title ?? "";
}

// An array POST answers `{items}`; the union narrows on the key, no cast.
export async function createMany(titles: string[]): Promise<number> {
  const response = await request<paths["/books"]["post"]>("POST", "/books", {
    body: titles.map((title) => ({ title })),
  });
  const created: Created<paths["/books"]["post"]> = await response.json();
  return "items" in created ? created.items.length : 1;
}

// Bulk routes (enabled with `bulk_patch` / `bulk_delete`) take the filter options.
export async function retitleAndPurge(): Promise<number> {
  const changed = await send<paths["/books"]["patch"]>("PATCH", "/books", {
    query: { match: ["title=^Draft"] },
    body: { title: "Final" },
  });
  const purged = await send<paths["/books"]["delete"]>("DELETE", "/books", {
    query: { filter: ["title=Final"] },
  });
  return changed.modified + purged.deleted;
}

// Create or update the book with this id (`X-HTTP-Method: CoU`): 201 or 200.
export async function upsert(id: string, title: string): Promise<boolean> {
  const answer = await exchange<paths["/books"]["post"]>("POST", "/books", {
    body: { _id: id, title },
    headers: { "X-HTTP-Method": "CoU" },
  });
  return answer.status === 201;
}
