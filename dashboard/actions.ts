/**
 * The dashboard's actions (POSTs from its forms): retry a failure, purge
 * the failures, requeue a dead letter, purge the dead letters, revoke and
 * restore a task id or a task name. Each answers with a redirect (303) to
 * the page it came from, with a notice of what was done.
 *
 * @module
 */
import type { DashboardHuey } from "./source.ts";

/** An action's outcome: the notice to show, and the page to go back to. */
export interface ActionOutcome {
  /** The notice's key (see layout.ts). */
  readonly done: string;
  /** The page to go back to, under the dashboard's path. */
  readonly back: string;
}

/** A refused action: a 400 with the reason. */
export class ActionError extends Error {
  /** @param message What is missing or wrong. */
  constructor(message: string) {
    super(message);
    this.name = "ActionError";
  }
}

/** A form field that must be there. */
function required(form: URLSearchParams, name: string): string {
  const value = form.get(name)?.trim() ?? "";
  if (value === "") throw new ActionError(`The form has no ${name}`);
  return value;
}

/** Where to go back to: a dashboard path from the form, or `fallback`. */
function backOf(form: URLSearchParams, fallback: string): string {
  const back = form.get("back") ?? "";
  return /^\/[A-Za-z0-9_\-/%.]*$/.test(back) && !back.startsWith("//") ? back : fallback;
}

/** A revoke or restore, of a task id (`id`) or every call of a task (`name`). */
async function revocation(
  huey: DashboardHuey,
  form: URLSearchParams,
  restore: boolean,
): Promise<ActionOutcome> {
  const id = form.get("id")?.trim() || null;
  const name = form.get("name")?.trim() || null;
  if ((id === null) === (name === null)) {
    throw new ActionError("The form needs a task id or a task name (one of them)");
  }
  const back = backOf(form, "/revocations");
  if (!restore) {
    await (id !== null ? huey.revokeById(id) : huey.revokeByName(name!));
    return { done: "revoked", back };
  }
  const lifted = await (id !== null ? huey.restoreById(id) : huey.restoreByName(name!));
  return { done: lifted ? "restored" : "restore-missing", back };
}

/** The actions, by path under `actions/`. */
export const ACTIONS: Readonly<
  Record<string, (huey: DashboardHuey, form: URLSearchParams) => Promise<ActionOutcome>>
> = {
  "retry-failure": async (huey, form) => {
    const retried = await huey.retryFailure(required(form, "id"));
    return { done: retried ? "retried" : "retry-missing", back: "/failures" };
  },
  "purge-failures": async (huey) => {
    await huey.purgeFailures();
    return { done: "failures-purged", back: "/failures" };
  },
  "requeue-dead-letter": async (huey, form) => {
    const requeued = await huey.requeueDeadLetter(required(form, "id"));
    return { done: requeued ? "requeued" : "requeue-missing", back: "/dead-letters" };
  },
  "purge-dead-letters": async (huey) => {
    await huey.purgeDeadLetters();
    return { done: "dead-letters-purged", back: "/dead-letters" };
  },
  revoke: (huey, form) => revocation(huey, form, false),
  restore: (huey, form) => revocation(huey, form, true),
};
