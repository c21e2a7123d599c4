/**
 * Events written to a storage's log directly, as consumers publish them:
 * the stats and metrics tests count what they say.
 *
 * @module
 */
import { encodeEvent, type EventRecord } from "../event.ts";
import type { Huey } from "../mod.ts";

/** An event of task `name`, now, with no retries left unless told. */
export function event(
  type: EventRecord["type"],
  name: string,
  fields: Partial<EventRecord> = {},
): EventRecord {
  return {
    type,
    id: `${name}-1`,
    name,
    retries: 0,
    at: new Date(),
    consumer: "host:1",
    worker: "Worker-1",
    ...fields,
  };
}

/** Appends events to a Huey's log, as consumers publish them. */
export async function publish(
  huey: Huey,
  events: EventRecord[],
  maxLength = 10_000,
): Promise<void> {
  await huey.storage.addEvents({ items: events.map(encodeEvent), maxLength });
}
