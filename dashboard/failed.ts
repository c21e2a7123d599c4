/**
 * The pages of what went wrong: the failures (tasks that failed for good,
 * newest first, with their error and traceback; retry one, purge all) and
 * the dead letters (messages set aside with the reason; requeue one, purge
 * all).
 *
 * @module
 */
import { cut, formatValue, type Html, html, timeTag } from "./html.ts";
import { actionForm, page, type PageContext, pager, purgeForm, table, taskLink } from "./layout.ts";
import { argsPreview, readPage } from "./queues.ts";
import type { DashboardHuey } from "./source.ts";

/** An error and, behind a disclosure, its traceback. */
export function errorCell(error: string, traceback: string | null | undefined): Html {
  return html`<span class="bad">${cut(error)}</span>${
    traceback
      ? html`
        <details>
          <summary>traceback</summary>
          <pre>${traceback}</pre>
        </details>
      `
      : null
  }`;
}

/** The failures page (`?name=` keeps one task's). */
export async function failuresPage(context: PageContext, huey: DashboardHuey): Promise<Html> {
  const name = context.url.searchParams.get("name") || undefined;
  const [{ offset, rows, more }, total] = await Promise.all([
    readPage(context, (limit) => huey.failures({ limit, name })),
    huey.storage.failureCount(),
  ]);
  const body = html`
    <form class="row" method="get" action="${context.base}/failures">
      <label for="failure-name">Task name</label>
      <input type="text" id="failure-name" name="name" value="${name ?? ""}">
      <button type="submit">Filter</button>
    </form>
    <div class="row">${purgeForm(
      context,
      "/actions/purge-failures",
      `Purge all ${total} failures`,
    )}</div>
    ${table(
      ["Failed at", "Task", "Id", "Arguments", "Error", "Retries", ""],
      rows.map((failure) =>
        html`
          <tr>
            <td>${timeTag(failure.at)}</td>
            <td>${failure.name}</td>
            <td>${taskLink(context, failure.id)}</td>
            <td>${argsPreview(failure.args)}</td>
            <td>${errorCell(failure.error, failure.traceback)}</td>
            <td>${failure.retries}</td>
            <td>${actionForm(context, "/actions/retry-failure", "Retry", { id: failure.id })}</td>
          </tr>
        `
      ),
      name === undefined ? "No task failed for good." : `No failure of ${name}.`,
    )}${pager(
      context,
      "/failures",
      offset,
      rows.length,
      more,
      name === undefined ? total : undefined,
    )}
  `;
  return page(context, "/failures", "Failures", body);
}

/** What a dead letter's message holds, when it can be read. */
function messageCells(context: PageContext, huey: DashboardHuey, data: Uint8Array): Html {
  try {
    const task = huey.deserializeTask(data);
    return html`
      <td>${task.name}</td>
      <td>${taskLink(context, task.id)}</td>
      <td>${argsPreview(task.args)}</td>
    `;
  } catch {
    const text = new TextDecoder().decode(data.subarray(0, 200));
    return html`
      <td
        colspan="3"><span class="muted">unreadable message (${data
          .length} bytes)</span> <code>${cut(formatValue(text))}</code></td>
    `;
  }
}

/** The dead letters page. */
export async function deadLettersPage(context: PageContext, huey: DashboardHuey): Promise<Html> {
  const { offset, rows, more } = await readPage(
    context,
    (limit) => huey.deadLetters({ limit }),
  );
  const body = html`<div class="row">${
    purgeForm(context, "/actions/purge-dead-letters", "Purge all dead letters")
  }</div>
${
    table(
      ["Set aside at", "Reason", "Task", "Id", "Arguments", ""],
      rows.map((letter) =>
        html`<tr><td>${timeTag(letter.at)}</td><td class="bad">${cut(letter.reason)}</td>${
          messageCells(context, huey, letter.data)
        }<td>${
          actionForm(context, "/actions/requeue-dead-letter", "Requeue", { id: letter.id })
        }</td></tr>`
      ),
      "No dead letter.",
    )
  }${pager(context, "/dead-letters", offset, rows.length, more)}`;
  return page(context, "/dead-letters", "Dead letters", body);
}
