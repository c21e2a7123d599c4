/**
 * The pages of what waits and runs: pending (the queue, in dequeue
 * order), scheduled (by time) and running (what the consumers' heartbeats
 * say their workers run). A page reads only the rows up to its end (never
 * the whole queue), so the first pages of a long queue are quick on every
 * storage; lists go as deep as {@linkcode MAX_OFFSET}.
 *
 * @module
 */
import { readCounts } from "../stats.ts";
import type { Task } from "../task.ts";
import { cut, formatValue, type Html, html, timeTag } from "./html.ts";
import { actionForm, offsetOf, page, type PageContext, pager, table, taskLink } from "./layout.ts";
import type { DashboardHuey } from "./source.ts";

/** How deep a list of the queue or the schedule goes (the rows up to a page's end are read). */
export const MAX_OFFSET = 10_000;

/** One page of a list whose storage reads only the first `limit` items. */
export async function readPage<T>(
  context: PageContext,
  read: (limit: number) => Promise<T[]>,
): Promise<{ offset: number; rows: T[]; more: boolean }> {
  const offset = Math.min(offsetOf(context.url), MAX_OFFSET);
  const items = await read(offset + context.pageSize + 1);
  const rows = items.slice(offset, offset + context.pageSize);
  const more = items.length > offset + context.pageSize && offset + rows.length < MAX_OFFSET;
  return { offset, rows, more };
}

/** A task's arguments, cut for a list. */
export function argsPreview(args: readonly unknown[]): Html {
  return html`<code>${cut(formatValue(args))}</code>`;
}

/** The revoke button of one task. */
function revokeButton(context: PageContext, task: Task, back: string): Html | null {
  return actionForm(context, "/actions/revoke", "Revoke", { id: task.id, back }, "danger");
}

/** The pending page. */
export async function pendingPage(context: PageContext, huey: DashboardHuey): Promise<Html> {
  const [{ offset, rows, more }, total] = await Promise.all([
    readPage(context, (limit) => huey.pending({ limit })),
    huey.storage.queueSize(),
  ]);
  const body = html`${
    table(
      ["Task", "Id", "Arguments", "Priority", "Retries", ""],
      rows.map((task) =>
        html`
          <tr>
            <td>${task.name}</td>
            <td>${taskLink(context, task.id)}</td>
            <td>${argsPreview(task.args)}</td>
            <td>${task.priority ?? "—"}</td>
            <td>${task.retries}</td>
            <td>${revokeButton(context, task, "/pending")}</td>
          </tr>
        `
      ),
      "The queue is empty.",
    )
  }${pager(context, "/pending", offset, rows.length, more, total)}`;
  return page(context, "/pending", "Pending", body);
}

/** The scheduled page. */
export async function scheduledPage(context: PageContext, huey: DashboardHuey): Promise<Html> {
  const [{ offset, rows, more }, total] = await Promise.all([
    readPage(context, (limit) => huey.scheduled({ limit })),
    huey.storage.scheduleSize(),
  ]);
  const body = html`${
    table(
      ["Runs at", "Task", "Id", "Arguments", "Retries", ""],
      rows.map((task) =>
        html`
          <tr>
            <td>${timeTag(task.eta)}</td>
            <td>${task.name}</td>
            <td>${taskLink(context, task.id)}</td>
            <td>${argsPreview(task.args)}</td>
            <td>${task.retries}</td>
            <td>${revokeButton(context, task, "/scheduled")}</td>
          </tr>
        `
      ),
      "Nothing is scheduled.",
    )
  }${pager(context, "/scheduled", offset, rows.length, more, total)}`;
  return page(context, "/scheduled", "Scheduled", body);
}

/** The running page: each consumer and the tasks its workers run. */
export async function runningPage(context: PageContext, huey: DashboardHuey): Promise<Html> {
  const { consumers } = await readCounts(huey.storage);
  const rows = consumers.flatMap((consumer) =>
    consumer.running.map((task) =>
      html`
        <tr>
          <td>${task.name}</td>
          <td>${taskLink(context, task.id)}</td>
          <td>${timeTag(task.startedAt)}</td>
          <td>${consumer.id}</td>
        </tr>
      `
    )
  );
  const body = html`${
    table(["Task", "Id", "Started", "Consumer"], rows, "No task is running.")
  }<h3>Consumers</h3>${
    table(
      ["Consumer", "Workers", "Started", "Last seen"],
      consumers.map((consumer) =>
        html`
          <tr>
            <td>${consumer.id}</td>
            <td>${consumer.workers} ${consumer.workerType}</td>
            <td>${timeTag(consumer.startedAt)}</td>
            <td>${timeTag(consumer.lastSeen)}</td>
          </tr>
        `
      ),
      "No consumer is running (none has a live heartbeat).",
    )
  }`;
  return page(context, "/running", "Running", body);
}
