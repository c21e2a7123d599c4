/**
 * The frame of every page (title, navigation, the stylesheet and script
 * links, a notice after an action), and the small parts pages share: the
 * action forms with their CSRF token, the pager and the tables.
 *
 * @module
 */
import { type Html, html, type HtmlValue } from "./html.ts";

/** What a page is rendered with. */
export interface PageContext {
  /** The dashboard's path (`""` at the root). */
  readonly base: string;
  /** The title of every page. */
  readonly title: string;
  /** Whether actions are hidden. */
  readonly readOnly: boolean;
  /** The CSRF token action forms carry. */
  readonly csrf: string;
  /** The request's URL (query and all). */
  readonly url: URL;
  /** Rows per page. */
  readonly pageSize: number;
}

/** The navigation: path (under the base), label. */
const NAV: ReadonlyArray<readonly [string, string]> = [
  ["/", "Overview"],
  ["/pending", "Pending"],
  ["/scheduled", "Scheduled"],
  ["/running", "Running"],
  ["/failures", "Failures"],
  ["/dead-letters", "Dead letters"],
  ["/revocations", "Revocations"],
  ["/periodic", "Periodic"],
  ["/results", "Results"],
];

/** The notices an action's redirect asks for (`?done=`), by key. */
const NOTICES: Readonly<Record<string, string>> = {
  retried: "The task was enqueued again.",
  "retry-missing": "There is no such failure any more (retried or purged already).",
  "failures-purged": "The failures were purged.",
  requeued: "The message was enqueued again.",
  "requeue-missing": "There is no such dead letter any more.",
  "dead-letters-purged": "The dead letters were purged.",
  revoked: "Revoked.",
  restored: "The revocation was lifted.",
  "restore-missing": "There was no such revocation.",
};

/** A whole page. */
export function page(context: PageContext, active: string, heading: string, body: Html): Html {
  const { base, title } = context;
  const done = context.url.searchParams.get("done");
  const notice = done !== null && Object.hasOwn(NOTICES, done)
    ? html`<p class="notice${done.endsWith("missing") ? " error" : ""}" role="status">${
      NOTICES[done]
    }</p>`
    : null;
  return html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>${heading} · ${title}</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="${base}/assets/dashboard.css">
        <script src="${base}/assets/dashboard.js" defer></script>
      </head>
      <body data-base="${base}">
        <header>
          <h1><a href="${base}/">${title}</a></h1>
          <nav aria-label="Pages">
            <ul>${NAV.map(([path, label]) =>
              html`<li><a href="${base}${path}"${
                path === active
                  ? html`
                    aria-current="page"
                  `
                  : null
              }>${label}</a></li>`
            )}</ul>
          </nav>
          <form class="row" action="${base}/tasks" method="get" role="search">
            <label for="task-id" class="muted">Task id</label>
            <input type="search" id="task-id" name="id" placeholder="a task id" required>
            <button type="submit">Open</button>
          </form>
        </header>
        <main>
    <h2>${heading}</h2>
    ${notice}${body}
        </main>
      </body>
    </html>
  `;
}

/**
 * A POST form of one button, with the CSRF token and what goes back after
 * it (`null` in read-only mode: no action is shown).
 */
export function actionForm(
  context: PageContext,
  action: string,
  label: string,
  fields: Readonly<Record<string, string>> = {},
  style: "danger" | "primary" = "primary",
): Html | null {
  if (context.readOnly) return null;
  return html`<form class="inline" method="post" action="${context.base}${action}">
<input type="hidden" name="csrf" value="${context.csrf}">${
    Object.entries(fields).map(([name, value]) =>
      html`<input type="hidden" name="${name}" value="${value}">`
    )
  }<button type="submit" class="${style}">${label}</button></form>`;
}

/** An action that empties a whole list: a button behind a disclosure, so one keypress does not purge. */
export function purgeForm(context: PageContext, action: string, label: string): Html | null {
  const form = actionForm(context, action, label, {}, "danger");
  if (form === null) return null;
  return html`<details class="confirm"><summary>${label}…</summary> ${form}</details>`;
}

/** A table: its headers, and its rows (or a line saying it is empty). */
export function table(headers: readonly string[], rows: Html[], empty: string): Html {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`
    <div class="table">
      <table>
        <thead>
          <tr>${headers.map((header) => html`<th scope="col">${header}</th>`)}</tr>
        </thead>
        <tbody>${rows}</tbody>
      </table>
    </div>
  `;
}

/** Where a list starts, read from `?offset=` (0 when missing or bad). */
export function offsetOf(url: URL): number {
  const offset = Number(url.searchParams.get("offset") ?? 0);
  return Number.isInteger(offset) && offset >= 0 ? offset : 0;
}

/** The links to a list's previous and next pages. */
export function pager(
  context: PageContext,
  path: string,
  offset: number,
  shown: number,
  more: boolean,
  total?: number,
): Html {
  const link = (to: number, label: string): Html => {
    const query = new URLSearchParams(context.url.searchParams);
    query.delete("done");
    query.set("offset", String(to));
    return html`<a href="${context.base}${path}?${query.toString()}">${label}</a>`;
  };
  const range = shown === 0 ? "none" : `${offset + 1}–${offset + shown}`;
  return html`<div class="pager">${
    offset > 0 ? link(Math.max(0, offset - context.pageSize), "← Previous") : null
  }<span class="muted">${range}${total === undefined ? "" : ` of ${total}`}</span>${
    more ? link(offset + shown, "Next →") : null
  }</div>`;
}

/** A link to a task's page. */
export function taskLink(context: PageContext, id: string, text?: HtmlValue): Html {
  return html`<a href="${context.base}/tasks/${encodeURIComponent(id)}"><code>${
    text ?? id
  }</code></a>`;
}
