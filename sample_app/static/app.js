// The Bookshelf page: plain JavaScript on the autoapi REST API, no build step.
"use strict";

// Relative, so the page keeps working when the app is served under a path prefix.
const API = "api/";
const BOOKS_PER_PAGE = 5;
const AUTHORS_PER_PAGE = 5;
const LOG_SIZE = 10;

const state = {
  books: { offset: 0, total: 0, search: "", author: "", publisher: "" },
  authors: { offset: 0, total: 0, search: "", textSearch: true },
  editingId: null, // the id of the book in the form; null while creating one
  tenant: { header: null, value: "" }, // tenant mode: the header every request carries
};

// ---------------------------------------------------------------- API access

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.detail) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

async function api(method, path, body) {
  const options = { method, headers: { Accept: "application/json" } };
  if (state.tenant.header && state.tenant.value) {
    options.headers[state.tenant.header] = state.tenant.value;
  }
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const started = performance.now();
  const response = await fetch(API + path, options);
  const text = await response.text();
  logRequest(method, API + path, response.status, performance.now() - started);
  const data = parseJson(text);
  if (!response.ok) {
    throw new ApiError(response.status, data);
  }
  return data;
}

function parseJson(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null; // not JSON, e.g. a proxy's error page: the status still tells
  }
}

function queryString(pairs) {
  const params = new URLSearchParams();
  for (const [key, value] of pairs) {
    if (value !== "" && value !== null && value !== undefined) {
      params.append(key, value);
    }
  }
  return params.toString();
}

// Typing fires several requests and their answers may arrive out of order: only the answer
// to the newest request is used; older ones resolve to null.
function latestOnly(request) {
  let newest = 0;
  return async () => {
    const ticket = ++newest;
    const answer = await request();
    return ticket === newest ? answer : null;
  };
}

function escapeRegex(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// ---------------------------------------------------------------- DOM helpers

const $ = (selector) => document.querySelector(selector);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) {
    if (child !== null && child !== undefined) {
      node.append(child);
    }
  }
  return node;
}

function fullName(author) {
  return author ? `${author.firstName} ${author.lastName}` : "an unknown author";
}

function flash(message, isError = false) {
  const box = $("#flash");
  box.textContent = message;
  box.classList.toggle("error", isError);
  box.hidden = false;
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => { box.hidden = true; }, 5000);
}

function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

function logRequest(method, url, status, ms) {
  const list = $("#log-list");
  const absolute = new URL(url, document.baseURI);
  const shownUrl = decodeURIComponent((absolute.pathname + absolute.search).replace(/\+/g, " "));
  const link = method === "GET" ? el("a", { href: url, target: "_blank", textContent: shownUrl })
    : shownUrl;
  const item = el("li", {},
    el("span", { className: "method", textContent: method }),
    el("span", { className: "url" }, link),
    el("span", { className: status < 400 ? "status" : "status bad", textContent: status }),
    el("span", { className: "ms", textContent: `${Math.round(ms)} ms` }));
  list.prepend(item);
  while (list.children.length > LOG_SIZE) {
    list.lastChild.remove();
  }
}

function renderPager(pager, offset, limit, total) {
  const last = Math.min(offset + limit, total);
  pager.querySelector(".range").textContent = total ? `${offset + 1}–${last} of ${total}` : "";
  pager.querySelector('[data-step="-1"]').disabled = offset === 0;
  pager.querySelector('[data-step="1"]').disabled = last >= total;
}

// ---------------------------------------------------------------- books

function bookListQuery() {
  const { offset, search, author, publisher } = state.books;
  const pairs = [
    ["offset", offset],
    ["limit", BOOKS_PER_PAGE],
    ["sort", "-created"],
    ["populate", "author,coauthor,publisher"],
  ];
  if (search) {
    pairs.push(["match", `title=(?i)${escapeRegex(search)}`]);
  }
  if (author) {
    // Books written or co-written by the author: an OR that only `where` can express.
    pairs.push(["where", JSON.stringify({ $or: [{ author }, { coauthor: author }] })]);
  }
  if (publisher) {
    pairs.push(["filter", `publisher=${publisher}`]);
  }
  return queryString(pairs);
}

const fetchBooks = latestOnly(() => api("GET", `books?${bookListQuery()}`));

async function loadBooks() {
  try {
    const page = await fetchBooks();
    if (!page) {
      return;
    }
    if (!page.items.length && state.books.offset > 0) {
      // The last book of the last page is gone: show the page before it.
      state.books.offset = Math.max(0, state.books.offset - BOOKS_PER_PAGE);
      return loadBooks();
    }
    state.books.total = page.total;
    renderBooks(page.items);
  } catch (error) {
    flash(`Could not load books: ${error.message}`, true);
  }
}

function renderBooks(books) {
  $("#book-list").replaceChildren(...books.map(bookCard));
  $("#book-empty").hidden = books.length > 0;
  renderPager($("#book-pager"), state.books.offset, BOOKS_PER_PAGE, state.books.total);
}

function bookCard(book) {
  const byline = book.coauthor
    ? `by ${fullName(book.author)} and ${fullName(book.coauthor)}`
    : `by ${fullName(book.author)}`;
  const meta = [
    book.isbn ? `ISBN ${book.isbn}` : "no ISBN",
    book.publisher ? book.publisher.name : null,
    `added ${new Date(book.created).toLocaleDateString()}`,
  ].filter(Boolean).join(" · ");
  const edit = el("button", { type: "button", textContent: "Edit" });
  edit.addEventListener("click", () => openEditor(book._id));
  const remove = el("button", { type: "button", className: "danger", textContent: "Delete" });
  remove.addEventListener("click", () => deleteBook(book));
  return el("li", { className: "book" },
    el("div", {},
      el("h3", { textContent: book.title }),
      el("p", { className: "byline", textContent: book.author || book.coauthor ? byline : "" }),
      el("p", { className: "meta", textContent: meta })),
    el("div", { className: "actions" }, edit, remove));
}

async function deleteBook(book) {
  if (!confirm(`Delete “${book.title}”?`)) {
    return;
  }
  try {
    await api("DELETE", `books/${book._id}`);
    flash(`Deleted “${book.title}”.`);
    if (state.editingId === book._id) {
      closeEditor();
    }
    await loadBooks();
  } catch (error) {
    flash(`Could not delete: ${error.message}`, true);
  }
}

// ---------------------------------------------------------------- the book form

const form = () => $("#book-form");

async function openEditor(bookId) {
  clearErrors();
  form().reset();
  state.editingId = bookId;
  $("#editor-heading").textContent = bookId ? "Edit book" : "New book";
  if (bookId) {
    try {
      fillForm(await api("GET", `books/${bookId}`));
    } catch (error) {
      flash(`Could not load the book: ${error.message}`, true);
      return;
    }
  }
  $("#editor").hidden = false;
  $("#book-title").focus();
}

function fillForm(book) {
  const fields = form().elements;
  for (const name of ["title", "isbn", "author", "coauthor", "publisher"]) {
    // Links arrive as ids (or null) because this request does not populate them.
    fields[name].value = book[name] ?? "";
  }
}

function closeEditor() {
  state.editingId = null;
  clearErrors();
  $("#editor").hidden = true;
}

function formBody() {
  const fields = form().elements;
  return {
    title: fields.title.value.trim(),
    isbn: fields.isbn.value.trim(),
    // An empty choice clears the link.
    author: fields.author.value || null,
    coauthor: fields.coauthor.value || null,
    publisher: fields.publisher.value || null,
  };
}

async function saveBook(event) {
  event.preventDefault();
  clearErrors();
  const id = state.editingId;
  try {
    const book = id
      ? await api("PATCH", `books/${id}`, formBody())
      : await api("POST", "books", formBody());
    flash(id ? `Saved “${book.title}”.` : `Created “${book.title}”.`);
    closeEditor();
    if (!id) {
      state.books.offset = 0; // newest first: the new book is on the first page
    }
    await loadBooks();
  } catch (error) {
    showErrors(error);
  }
}

function showErrors(error) {
  const problem = error instanceof ApiError ? error.problem : {};
  const errors = problem.errors || [];
  const unplaced = [];
  for (const { field, message } of errors) {
    const slot = form().querySelector(`[data-error-for="${CSS.escape(field)}"]`);
    if (slot) {
      slot.textContent = message;
      form().elements[field].setAttribute("aria-invalid", "true");
    } else {
      unplaced.push(`${field}: ${message}`);
    }
  }
  if (!errors.length || unplaced.length) {
    const text = unplaced.length ? unplaced.join("; ") : error.message;
    form().querySelector('[data-error-for="form"]').textContent = text;
  }
}

function clearErrors() {
  for (const slot of form().querySelectorAll("[data-error-for]")) {
    slot.textContent = "";
  }
  for (const input of form().querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
  }
}

// ---------------------------------------------------------------- choices

async function loadChoices() {
  try {
    const [authors, publishers] = await Promise.all([
      api("GET", `authors?${queryString([["limit", 100], ["sort", "lastName"],
        ["fields", "firstName,lastName"]])}`),
      api("GET", `publishers?${queryString([["limit", 100], ["sort", "name"],
        ["fields", "name"]])}`),
    ]);
    const authorOptions = authors.items.map((a) => [a._id, fullName(a)]);
    const publisherOptions = publishers.items.map((p) => [p._id, p.name]);
    fillSelect($("#book-author"), "Any author", authorOptions);
    fillSelect($("#book-publisher"), "Any publisher", publisherOptions);
    document.querySelectorAll(".author-choice").forEach((s) => fillSelect(s, "—", authorOptions));
    fillSelect($(".publisher-choice"), "—", publisherOptions);
  } catch (error) {
    flash(`Could not load authors and publishers: ${error.message}`, true);
  }
}

function fillSelect(select, emptyLabel, options) {
  const current = select.value;
  select.replaceChildren(
    el("option", { value: "", textContent: emptyLabel }),
    ...options.map(([value, label]) => el("option", { value, textContent: label })));
  select.value = current;
}

// ---------------------------------------------------------------- authors

const fetchNewestAuthors = latestOnly(() => fetchAuthors());

async function loadAuthors() {
  try {
    const page = await fetchNewestAuthors();
    if (page) {
      showAuthors(page);
    }
  } catch (error) {
    flash(`Could not load authors: ${error.message}`, true);
  }
}

async function fetchAuthors() {
  const { offset, search, textSearch } = state.authors;
  const base = [["offset", offset], ["limit", AUTHORS_PER_PAGE]];
  const byName = [...base, ["sort", "lastName"]];
  if (!search) {
    return api("GET", `authors?${queryString(byName)}`);
  }
  if (textSearch) {
    try {
      return await api("GET", `authors?${queryString([...base, ["search", search]])}`);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 400)) {
        throw error;
      }
      // Text search needs MongoDB's text index; the in-memory database has no text search.
      state.authors.textSearch = false;
      showNote(`Text search is unavailable here (${error.message}), so names are matched.`);
    }
  }
  const where = JSON.stringify(nameMatch(search));
  return api("GET", `authors?${queryString([...byName, ["where", where]])}`);
}

function showNote(text) {
  const note = $("#author-note");
  note.textContent = text;
  note.hidden = false;
}

function nameMatch(text) {
  const pattern = { $regex: escapeRegex(text), $options: "i" };
  return {
    $or: ["firstName", "lastName", "biography.description"].map((f) => ({ [f]: pattern })),
  };
}

function showAuthors(page) {
  state.authors.total = page.total;
  $("#author-list").replaceChildren(...page.items.map(authorItem));
  $("#author-empty").hidden = page.items.length > 0;
  renderPager($("#author-pager"), state.authors.offset, AUTHORS_PER_PAGE, page.total);
}

function authorItem(author) {
  const name = el("button", { type: "button", textContent: fullName(author),
    title: "Show this author's books" });
  name.addEventListener("click", () => {
    $("#book-author").value = author._id;
    state.books.author = author._id;
    state.books.offset = 0;
    loadBooks();
  });
  const bio = author.biography || {};
  const born = bio.born ? `born ${bio.born}. ` : "";
  return el("li", { className: "author" }, name,
    el("p", { textContent: born + (bio.description || "") }));
}

// ---------------------------------------------------------------- tenants

// In tenant mode the app names its header and tenants; elsewhere the switch stays hidden.
async function loadTenants() {
  let config = null;
  try {
    const response = await fetch("tenants", { headers: { Accept: "application/json" } });
    config = response.ok ? parseJson(await response.text()) : null;
  } catch {
    return; // no tenant mode to offer: the page works as it is
  }
  if (!config || !config.header || !config.tenants || !config.tenants.length) {
    return;
  }
  state.tenant = { header: config.header, value: config.tenants[0] };
  $("#tenant").replaceChildren(
    ...config.tenants.map((t) => el("option", { value: t, textContent: t })));
  $("#tenant").value = state.tenant.value;
  $("#tenant-switch").hidden = false;
}

function switchTenant(event) {
  state.tenant.value = event.target.value;
  // Authors and books are the tenant's own: filters naming the old tenant's ids go.
  Object.assign(state.books, { offset: 0, author: "", publisher: "" });
  state.authors.offset = 0;
  $("#book-author").value = "";
  $("#book-publisher").value = "";
  closeEditor();
  loadChoices();
  loadBooks();
  loadAuthors();
}

// ---------------------------------------------------------------- wiring

function onPage(pagerSelector, section, size, load) {
  $(pagerSelector).addEventListener("click", (event) => {
    const step = Number(event.target.dataset.step || 0);
    if (step) {
      section.offset = Math.max(0, section.offset + step * size);
      load();
    }
  });
}

function onFilter(selector, key, eventName) {
  const apply = (event) => {
    state.books[key] = event.target.value.trim();
    state.books.offset = 0;
    loadBooks();
  };
  $(selector).addEventListener(eventName, eventName === "input" ? debounce(apply, 250) : apply);
}

async function start() {
  await loadTenants();
  $("#tenant").addEventListener("change", switchTenant);
  onPage("#book-pager", state.books, BOOKS_PER_PAGE, loadBooks);
  onPage("#author-pager", state.authors, AUTHORS_PER_PAGE, loadAuthors);
  onFilter("#book-search", "search", "input");
  onFilter("#book-author", "author", "change");
  onFilter("#book-publisher", "publisher", "change");
  $("#author-search").addEventListener("input", debounce((event) => {
    state.authors.search = event.target.value.trim();
    state.authors.offset = 0;
    loadAuthors();
  }, 250));
  $("#new-book").addEventListener("click", () => openEditor(null));
  $("#cancel-edit").addEventListener("click", closeEditor);
  form().addEventListener("submit", saveBook);
  loadChoices();
  loadBooks();
  loadAuthors();
}

document.addEventListener("DOMContentLoaded", start);
