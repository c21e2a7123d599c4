/**
 * The overview page: the counts, the chart of the last hour, the consumers
 * and what each runs, and the newest events; and the snapshot of them that
 * the live updates (`events`) send.
 *
 * @module
 */
import type { ConsumerInfo } from "../heartbeat.ts";
import type { HueyEvent } from "../event.ts";
import { readCounts, type StorageCounts } from "../stats.ts";
import type { Storage } from "../storage/base.ts";
import { type Html, html, timeTag } from "./html.ts";
import { page, type PageContext, taskLink } from "./layout.ts";
import type { Throughput, ThroughputFollower } from "./throughput.ts";

/** What the overview shows, as the live updates send it (JSON). */
export interface Snapshot {
  /** The counts, by the `data-count` keys of the page. */
  readonly counts: Readonly<Record<string, number>>;
  /** The consumers with a live heartbeat. */
  readonly consumers: readonly ConsumerInfo[];
  /** The chart's series. */
  readonly chart: Throughput;
  /** Events read since the last snapshot (oldest first). */
  readonly events: readonly HueyEvent[];
}

/** The cards: count key, label, the page that lists them. */
const CARDS: ReadonlyArray<readonly [keyof StorageCounts | "consumers", string, string]> = [
  ["pending", "Pending", "/pending"],
  ["scheduled", "Scheduled", "/scheduled"],
  ["running", "Running", "/running"],
  ["failures", "Failures", "/failures"],
  ["deadLetters", "Dead letters", "/dead-letters"],
  ["results", "Stored results", "/results"],
  ["consumers", "Consumers", "/running"],
];

/** Reads the counts and the events added since the follower's last read. */
export async function readSnapshot(
  storage: Storage,
  follower: ThroughputFollower,
): Promise<Snapshot> {
  const [counts, events] = await Promise.all([readCounts(storage), follower.update()]);
  return {
    counts: {
      pending: counts.pending,
      scheduled: counts.scheduled,
      running: counts.running,
      failures: counts.failures,
      deadLetters: counts.deadLetters,
      results: counts.results,
      consumers: counts.consumers.length,
    },
    consumers: counts.consumers,
    chart: follower.series(),
    events,
  };
}

/** The consumers' rows. */
function consumerRows(context: PageContext, consumers: readonly ConsumerInfo[]): Html[] {
  if (consumers.length === 0) {
    return [
      html`
        <tr>
          <td colspan="4" class="muted">No consumer is running (none has a live heartbeat).</td>
        </tr>
      `,
    ];
  }
  return consumers.map((consumer) =>
    html`
      <tr>
        <td>${consumer.id}</td>
        <td>${consumer.workers} ${consumer.workerType}</td>
        <td>${consumer.running.length === 0
          ? html`<span class="muted">idle</span>`
          : consumer.running.map((task, index) =>
            html`${index > 0 ? ", " : ""}${taskLink(context, task.id, task.name)}`
          )}</td>
        <td>${timeTag(consumer.lastSeen)}</td>
      </tr>
    `
  );
}

/** The overview page. */
export function overviewPage(
  context: PageContext,
  snapshot: Snapshot,
  recent: readonly HueyEvent[],
): Html {
  const { counts } = snapshot;
  const body = html`
    <p class="live" id="live" data-live="${context.base}/events" aria-live="polite">connecting</p>
    <div class="cards">${CARDS.map(([key, label, path]) =>
      html`
        <a class="card"
          href="${context
            .base}${path}"><div class="n" data-count="${key}">${counts[
              key
            ]}</div><div class="l">${label}</div></a>
      `
    )}</div>
    <div class="chart" id="chart" data-series="${JSON.stringify(snapshot.chart)}">
      <div
        class="legend"><span class="completed">completed</span><span class="failed">failed</span><span class="muted">per minute, last hour</span></div>
      <svg role="img" aria-label="Tasks completed and failed per minute over the last hour"></svg>
    </div>
    <h3>Consumers</h3>
    <div class="table">
      <table>
        <thead>
          <tr>
            <th scope="col">Consumer</th>
            <th scope="col">Workers</th>
            <th scope="col">Running</th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody id="consumers">${consumerRows(context, snapshot.consumers)}</tbody>
      </table>
    </div>
    <h3>Latest events</h3>
    ${recent.length === 0
      ? html`<p class="empty" id="feed-empty">No event kept yet (consumers publish them as tasks run).</p>`
      : null}<ul id="feed">${[...recent].reverse().map((event) =>
        html`<li><span class="muted mono">${
          event.at.toISOString().slice(11, 19)
        } </span>${event.type} ${
          event.id ? taskLink(context, event.id, event.name || event.id) : null
        }</li>`
      )}</ul>
  `;
  return page(context, "/", "Overview", body);
}
