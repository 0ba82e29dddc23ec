// The /search/ page: reads ?q= and filters from the address, shows results, keeps the
// address in step so a search can be bookmarked and shared. All text comes from the
// page (strings.yaml), so the script holds no interface language of its own.
import { search } from "../search/search.js";

const PAGE_SIZE = 10;
const FILTERS = ["type", "publication", "source", "year"];
const form = document.getElementById("search-form");
const input = document.getElementById("search-q");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const pages = document.getElementById("search-pages");
const say = JSON.parse(form.dataset.strings);
let latest = 0;

function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
}

function stateFromAddress() {
  const params = new URLSearchParams(location.search);
  const filters = {};
  for (const name of FILTERS) if (params.get(name)) filters[name] = params.get(name);
  return { q: params.get("q") ?? "", filters, page: Math.max(1, parseInt(params.get("page") ?? "1", 10) || 1) };
}

function showState(state) {
  input.value = state.q;
  for (const name of FILTERS) form.elements[name].value = state.filters[name] ?? "";
}

function addressOf(state) {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  for (const name of FILTERS) if (state.filters[name]) params.set(name, state.filters[name]);
  if (state.page > 1) params.set("page", String(state.page));
  const query = params.toString();
  return location.pathname + (query ? `?${query}` : "");
}

function item(result) {
  const li = document.createElement("li");
  li.className = "search-result";
  li.innerHTML = `<a class="entry-link" href="${encodeURI(result.url)}">${result.titleHtml}</a>`
    + `<span class="entry-meta"><time datetime="${result.date}"></time><span class="sep">·</span>`
    + `<span class="result-type"></span>${result.source ? '<span class="sep">·</span><span class="result-source"></span>' : ""}</span>`
    + `<p class="entry-excerpt">${result.excerpt}</p>`;
  li.querySelector("time").textContent = result.date;
  li.querySelector(".result-type").textContent = result.type;
  if (result.source) li.querySelector(".result-source").textContent = result.source;
  return li;
}

function pager(state, total) {
  const count = Math.ceil(total / PAGE_SIZE);
  pages.replaceChildren();
  pages.hidden = count <= 1;
  if (count <= 1) return;
  const ul = document.createElement("ul");
  const link = (label, page, current = false) => {
    const li = document.createElement("li");
    if (current) {
      const span = document.createElement("span");
      span.setAttribute("aria-current", "page");
      span.textContent = label;
      li.append(span);
    } else {
      const a = document.createElement("a");
      a.href = addressOf({ ...state, page });
      a.textContent = label;
      a.dataset.page = String(page);
      li.append(a);
    }
    ul.append(li);
  };
  if (state.page > 1) link(say.previous_page, state.page - 1);
  for (let n = Math.max(1, state.page - 3); n <= Math.min(count, state.page + 3); n++) link(String(n), n, n === state.page);
  if (state.page < count) link(say.next_page, state.page + 1);
  pages.append(ul);
}

async function run(state) {
  const ticket = ++latest;
  if (!state.q.trim() && !Object.keys(state.filters).length) {
    status.textContent = say.search_prompt;
    list.replaceChildren();
    pages.hidden = true;
    return;
  }
  status.textContent = say.searching;
  list.setAttribute("aria-busy", "true");
  try {
    const { total, results } = await search(state.q, { filters: state.filters, offset: (state.page - 1) * PAGE_SIZE, limit: PAGE_SIZE });
    if (ticket !== latest) return; // a newer search has started
    status.textContent = total ? format(say.results_count, { count: total }) : say.no_results;
    list.replaceChildren(...results.map(item));
    pager(state, total);
  } catch (error) {
    if (ticket === latest) status.textContent = `${say.search_failed} (${error.message})`;
  } finally {
    if (ticket === latest) list.removeAttribute("aria-busy");
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const state = { q: input.value, filters: {}, page: 1 };
  for (const name of FILTERS) if (form.elements[name].value) state.filters[name] = form.elements[name].value;
  history.pushState(null, "", addressOf(state));
  run(state);
});
for (const name of FILTERS) form.elements[name].addEventListener("change", () => form.requestSubmit());
pages.addEventListener("click", (event) => {
  const a = event.target.closest("a[data-page]");
  if (!a) return;
  event.preventDefault();
  history.pushState(null, "", a.getAttribute("href"));
  run(stateFromAddress());
  status.focus?.();
  window.scrollTo(0, 0);
});
window.addEventListener("popstate", () => { const state = stateFromAddress(); showState(state); run(state); });

const initial = stateFromAddress();
showState(initial);
run(initial);
if (!initial.q) input.focus();
