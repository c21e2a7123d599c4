/**
 * The pages about one task or one task name: a task's page (where it is,
 * its arguments and options, its outcome, its progress and its events),
 * the result lookup, the revocations, and the periodic tasks with their
 * next run.
 *
 * @module
 */
import { crontabText } from "../crontab.ts";
import type { HueyEvent } from "../event.ts";
import { progressKey } from "../progress.ts";
import { readCounts, readEventPages } from "../stats.ts";
import type { Task } from "../task.ts";
import { formatValue, type Html, html, timeTag } from "./html.ts";
import { errorCell } from "./failed.ts";
import { actionForm, page, type PageContext, table, taskLink } from "./layout.ts";
import type { DashboardHuey } from "./source.ts";

/** How many pending and scheduled tasks a task's page looks through for the task. */
export const TASK_SEARCH_DEPTH = 1000;

/** A stored value read without removing it: `undefined` when there is none. */
async function peekValue(huey: DashboardHuey, key: string): Promise<{ value: unknown } | null> {
  const bytes = await huey.storage.peekData(key);
  if (bytes === null) return null;
  try {
    return { value: huey.serializer.deserialize(bytes) };
  } catch (error) {
    return { value: `(cannot be read: ${(error as Error).message})` };
  }
}

/** A stored outcome as markup: a value, or a failure with its error. */
function outcomeOf(found: { value: unknown } | null): Html {
  if (found === null) return html`<span class="muted">no stored result</span>`;
  const { value } = found;
  if (value instanceof Error && "metadata" in value) {
    const metadata = value.metadata as { error?: string; traceback?: string };
    return html`<strong class="bad">failed</strong> ${
      errorCell(metadata.error ?? String(value), metadata.traceback)
    }`;
  }
  return html`<strong class="ok">returned</strong><pre>${formatValue(value, 2)}</pre>`;
}

/** Where a task is, and its message when it was found waiting. */
async function locate(
  huey: DashboardHuey,
  id: string,
): Promise<{ where: string[]; task: Task | null; failure: Html | null }> {
  const [pending, scheduled, failures, counts] = await Promise.all([
    huey.pending({ limit: TASK_SEARCH_DEPTH }),
    huey.scheduled({ limit: TASK_SEARCH_DEPTH }),
    huey.failures(),
    readCounts(huey.storage),
  ]);
  const where: string[] = [];
  let task: Task | null = null;
  const waiting = pending.find((item) => item.id === id);
  if (waiting) (where.push("pending"), task = waiting);
  const later = scheduled.find((item) => item.id === id);
  if (later) (where.push(`scheduled for ${later.eta?.toISOString()}`), task ??= later);
  for (const consumer of counts.consumers) {
    if (consumer.running.some((running) => running.id === id)) {
      where.push(`running on ${consumer.id}`);
    }
  }
  const failed = failures.find((record) => record.id === id);
  let failure: Html | null = null;
  if (failed) {
    where.push("failed for good");
    failure = html`
      <dl class="fields">
        <dt>Task</dt>
        <dd>${failed.name}</dd>
        <dt>Failed at</dt>
        <dd>${timeTag(failed.at)}</dd>
        <dt>Arguments</dt>
        <dd>
          <pre>${formatValue(failed.args, 2)}</pre>
        </dd>
        <dt>Error</dt>
        <dd>${errorCell(failed.error, failed.traceback)}</dd>
      </dl>
    `;
  }
  return { where, task, failure };
}

/** A task's kept events, oldest first. */
async function eventsOf(huey: DashboardHuey, id: string): Promise<HueyEvent[]> {
  const found: HueyEvent[] = [];
  await readEventPages(huey.storage, null, (event) => {
    if (event.id === id) found.push(event);
  });
  return found;
}

/** A task's fields. */
function taskFields(task: Task): Html {
  const options: Record<string, unknown> = {
    retries: task.retries,
    retryDelay: task.retryDelay,
    priority: task.priority,
    expires: task.expires,
    timeout: task.timeout,
    eta: task.eta,
    unique: task.unique,
  };
  return html`
    <dl
      class="fields"><dt>Task</dt><dd>${task.name}</dd><dt>Arguments</dt><dd><pre>${formatValue(
        task.args,
        2,
      )}</pre></dd><dt>Options</dt><dd><pre>${formatValue(options, 2)}</pre></dd>${task.next
        ? html`
          <dt>Then</dt>
          <dd>${task.next.name}</dd>
        `
        : null}</dl>
  `;
}

/** A task's page. */
export async function taskPage(
  context: PageContext,
  huey: DashboardHuey,
  id: string,
): Promise<Html> {
  const [{ where, task, failure }, outcome, progress, events, revoked] = await Promise.all([
    locate(huey, id),
    peekValue(huey, id),
    peekValue(huey, progressKey(id)),
    eventsOf(huey, id),
    huey.isRevoked(id),
  ]);
  const back = `/tasks/${encodeURIComponent(id)}`;
  const body = html`
    <dl class="fields">
      <dt>Id</dt>
      <dd><code>${id}</code></dd>
      <dt>Where</dt>
      <dd>${where.length > 0 ? where.join("; ") : html`
        <span
          class="muted">not among the first ${TASK_SEARCH_DEPTH} pending or scheduled tasks, the running ones or the failures</span>
      `}</dd>
      <dt>Outcome</dt>
      <dd>${outcomeOf(outcome)}</dd>
      <dt>Progress</dt>
      <dd>${progress === null
        ? html`<span class="muted">none reported</span>`
        : html`<code>${formatValue(progress.value)}</code>`}</dd>
      <dt>Revoked</dt>
      <dd>${revoked ? "yes" : "no"} ${revoked
        ? actionForm(context, "/actions/restore", "Restore", { id, back })
        : actionForm(context, "/actions/revoke", "Revoke", { id, back }, "danger")}</dd>
    </dl>
    ${task ? html`<h3>Message</h3>${taskFields(task)}` : null}
    ${failure ? html`<h3>Failure</h3>${failure}` : null}
    <h3>Events</h3>
    ${table(
      ["At", "Event", "Retries left", "Consumer", "Details"],
      events.map((event) =>
        html`
          <tr>
            <td>${timeTag(event.at)}</td>
            <td>${event.type}</td>
            <td>${event.retries}</td>
            <td>${event.consumer}${event.worker ? ` / ${event.worker}` : ""}</td>
            <td>${event.duration !== undefined
              ? `${event.duration.toFixed(3)} s `
              : ""}${event.error
              ? errorCell(event.error, event.traceback)
              : null}${event.progress !== undefined
              ? html`<code>${formatValue(event.progress)}</code>`
              : null}</td>
          </tr>
        `
      ),
      "No kept event names this task.",
    )}
  `;
  return page(context, "", `Task ${id}`, body);
}

/** The result lookup: a form, and the outcome of the id asked for (read without removing it). */
export async function resultsPage(context: PageContext, huey: DashboardHuey): Promise<Html> {
  const id = context.url.searchParams.get("id")?.trim() ?? "";
  const found = id === "" ? null : await peekValue(huey, id);
  const body = html`
    <form class="row" method="get" action="${context.base}/results">
      <label for="result-id">Task id</label>
      <input type="text" id="result-id" name="id" value="${id}" required>
      <button type="submit">Look up</button>
    </form>
    ${id === ""
      ? html`<p class="muted">A result is read without removing it: the task's caller can still get it.</p>`
      : html`
        <h3>${taskLink(context, id)}</h3>
        <p>${outcomeOf(found)}</p>
      `}
  `;
  return page(context, "/results", "Results", body);
}

/** The revocations page: revoke or restore a task id or a task name; the registered names' state. */
export async function revocationsPage(context: PageContext, huey: DashboardHuey): Promise<Html> {
  const names = huey.registry.names();
  const revoked = await Promise.all(names.map((name) => huey.isRevokedByName(name)));
  const form = (what: "id" | "name", label: string): Html | null =>
    context.readOnly ? null : html`
      <form class="row" method="post" action="${context.base}/actions/revoke">
        <input type="hidden" name="csrf" value="${context.csrf}">
        <input type="hidden" name="back" value="/revocations">
        <label for="revoke-${what}">${label}</label>
        <input type="text" id="revoke-${what}" name="${what}" required>
        <button type="submit" class="danger">Revoke</button>
        <button type="submit" formaction="${context.base}/actions/restore">Restore</button>
      </form>
    `;
  const body = html`${form("id", "Task id")}${form("name", "Task name (every call)")}
<h3>Tasks</h3>
${
    table(
      ["Task", "Revoked", ""],
      names.map((name, index) =>
        html`
          <tr>
            <td>${name}</td>
            <td>${revoked[index] ? html`<strong class="bad">yes</strong>` : "no"}</td>
            <td>${revoked[index]
              ? actionForm(context, "/actions/restore", "Restore", { name, back: "/revocations" })
              : actionForm(
                context,
                "/actions/revoke",
                "Revoke all",
                { name, back: "/revocations" },
                "danger",
              )}</td>
          </tr>
        `
      ),
      "No task is registered in this process.",
    )
  }`;
  return page(context, "/revocations", "Revocations", body);
}

/** The next minute (from `from`, exclusive) a validator matches, within a year; `null` if none. */
export function nextRun(
  validate: (date: Date, timezone?: string) => boolean,
  from: Date,
  utc: boolean,
): Date | null {
  const minute = 60_000;
  let at = Math.floor(from.getTime() / minute) * minute + minute;
  const end = at + 366 * 24 * 60 * minute;
  for (; at < end; at += minute) {
    const date = new Date(at);
    if (validate(date, utc ? undefined : "local")) return date;
  }
  return null;
}

/** The periodic tasks page. */
export function periodicPage(context: PageContext, huey: DashboardHuey): Html {
  const now = new Date();
  const rows = huey.registry.periodic().map((definition) => {
    const validate = definition.validate!;
    return html`
      <tr>
        <td>${definition.name}</td>
        <td><code>${crontabText(validate) ?? "(a custom validator)"}</code></td>
        <td>${timeTag(nextRun(validate, now, huey.utc))}</td>
      </tr>
    `;
  });
  const body = html`${
    table(
      ["Task", "Crontab (minute hour day month weekday)", "Next run"],
      rows,
      "No periodic task.",
    )
  }<p class="muted">Times are UTC; periodic tasks are matched in ${
    huey.utc ? "UTC" : "local time"
  }.</p>`;
  return page(context, "/periodic", "Periodic tasks", body);
}
