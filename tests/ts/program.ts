// Type-checked (never run) against types that openapi-typescript generates from the
// document of `AutoAPI(models=[Publisher, Author, Book])` (tests/test_generators.py).
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

async function send<O>(
  method: string,
  path: string,
  options: { query?: Query<O>; body?: Body<O> } = {},
): Promise<Ok<O>> {
  const response = await fetch(BASE + path + queryString(options.query ?? {}), {
    method,
    headers: { "Content-Type": "application/json" },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const data: Ok<O> = await response.json();
  return data;
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
