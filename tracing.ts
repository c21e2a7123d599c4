/**
 * OpenTelemetry tracing: a PRODUCER span `send <task>` around each message a
 * Huey stores, a CONSUMER span `process <task>` around each execution, in one
 * trace through retries and pipeline stages — the W3C trace context travels
 * in the message (field `trace`, see trace_context.ts).
 *
 * `@opentelemetry/api` is an optional peer dependency: it is imported lazily,
 * when the first Huey is built, and never required. While it is missing, or
 * no tracer provider is registered, nothing is traced and messages carry no
 * trace context; the cost is a boolean check per enqueue and execution. An
 * enqueue or execution that comes before the import has settled waits for
 * it (only the first few of a process), so that every one after a Huey was
 * built is traced once a provider is registered.
 *
 * @module
 * @internal
 */
import type { Context, Span, Tracer } from "@opentelemetry/api";
import { fromTraceContext, toTraceContext, type TraceContext } from "./trace_context.ts";
import { RateLimitExceeded, TaskTimeout } from "./errors.ts";
import type { Task } from "./task.ts";
import { VERSION } from "./version.ts";

type OtelApi = typeof import("@opentelemetry/api");

/** The API once imported; `undefined` while loading or when it is not installed. */
let api: OtelApi | undefined;
/** The import has settled (loaded or failed). */
let settled = false;
let loading: Promise<void> | undefined;
/** The tracer provider the API reports while none is registered. */
let noopProvider: unknown;

/**
 * Starts importing `@opentelemetry/api` (once per process); a missing package
 * leaves tracing off, silently.
 *
 * @returns Resolves once the import has settled, either way.
 */
export function loadTracing(): Promise<void> {
  loading ??= import("@opentelemetry/api").then((module) => {
    api = module;
    noopProvider = new module.ProxyTracerProvider().getDelegate();
  }, () => {
    // Not installed (an optional peer dependency): nothing to trace, nothing to say.
  }).finally(() => {
    settled = true;
  });
  return loading;
}

/** How a run that did not complete ended: the attribute `huey.outcome` of its span. */
export type RunOutcome =
  | "error"
  | "retry"
  | "timeout"
  | "rate_limited"
  | "revoked"
  | "expired"
  | "interrupted";

/** The spans of one Huey: its queue's name goes into their attributes. */
export class Tracing {
  #queue: string;
  /**
   * The context of the run a task is sent from (the task itself when it is
   * retried, its next stage, its error handler); `null`: a task moved, not
   * sent (not due yet, it goes to the schedule with the context it has).
   */
  #runs = new WeakMap<Task, Context | null>();
  /** The span of each run under way. */
  #spans = new WeakMap<Task, Span>();
  /** Tasks whose trace context a send span of this process set. */
  #sent = new WeakSet<Task>();

  /** @param queue The queue's name (`messaging.destination.name`). Starts loading the API. */
  constructor(queue: string) {
    this.#queue = queue;
    void loadTracing();
  }

  /**
   * Stores messages under PRODUCER spans `send <task name>`, one per task:
   * each span's context becomes its task's `trace` before `store` encodes
   * it. The parent is the run the task is sent from (a retry, a next stage,
   * an error handler), else the active context. A task read from a message
   * and stored again outside a run (a scheduler's step) keeps its context.
   *
   * @param tasks The tasks `store` writes.
   * @param store Encodes and stores them.
   * @returns What `store` resolves to.
   */
  send<T>(tasks: Task | readonly Task[], store: () => Promise<T>): Promise<T> {
    if (!settled) return loadTracing().then(() => this.send(tasks, store));
    if (api === undefined) return store();
    const tracer = activeTracer(api);
    if (tracer === undefined) return store();
    const spans: Span[] = [];
    for (const task of Array.isArray(tasks) ? tasks : [tasks as Task]) {
      const span = this.#startSend(api, tracer, task);
      if (span !== undefined) spans.push(span);
    }
    return spans.length === 0 ? store() : traced(api, spans, store);
  }

  #startSend(api: OtelApi, tracer: Tracer, task: Task): Span | undefined {
    const run = this.#runs.get(task);
    if (run === null || (run === undefined && task.trace !== null && !this.#sent.has(task))) {
      return undefined;
    }
    const span = tracer.startSpan(`send ${task.name}`, {
      kind: api.SpanKind.PRODUCER,
      attributes: this.#attributes(task, "send"),
    }, run ?? api.context.active());
    const context = span.spanContext();
    if (!api.isSpanContextValid(context)) return span;
    task.trace = toTraceContext({ ...context, traceState: context.traceState?.serialize() });
    this.#sent.add(task);
    return span;
  }

  /**
   * Runs an execution under a CONSUMER span `process <task name>`, a child
   * of the context its message carries (else of the run it follows in
   * immediate mode, else of the active context). A task not due yet is not
   * processed: it goes to the schedule with its context, and no span is made.
   *
   * @param task The task.
   * @param now "Now", for the eta check.
   * @param run The execution.
   * @returns What `run` resolves to.
   */
  process<T>(task: Task, now: Date, run: () => Promise<T>): Promise<T> {
    if (!settled) return loadTracing().then(() => this.process(task, now, run));
    if (api === undefined) return run();
    const tracer = activeTracer(api);
    if (tracer === undefined) return run();
    if (task.eta !== null && task.eta.getTime() > now.getTime()) {
      this.#runs.set(task, null);
      return run().finally(() => this.#runs.delete(task));
    }
    const parent = task.trace !== null ? remoteContext(api, task.trace) : this.#runs.get(task) ??
      api.context.active();
    const span = tracer.startSpan(`process ${task.name}`, {
      kind: api.SpanKind.CONSUMER,
      attributes: this.#attributes(task, "process"),
    }, parent);
    const context = api.trace.setSpan(parent, span);
    const followUps = [task, task.next, task.errorHandler].filter((each) => each !== null);
    for (const each of followUps) this.#runs.set(each, context);
    this.#spans.set(task, span);
    return traced(api, [span], () => api!.context.with(context, run)).finally(() => {
      for (const each of followUps) this.#runs.delete(each);
      this.#spans.delete(task);
    });
  }

  /**
   * Records a failed run on its span: the exception, status ERROR, and
   * `huey.outcome` (`retry` when a retry follows, `timeout`,
   * `rate_limited`, else `error`). Call it once retries are adjusted.
   */
  failed(task: Task, error: unknown): void {
    const span = api === undefined ? undefined : this.#spans.get(task);
    if (span === undefined) return;
    fail(api!, span, error);
    span.setAttribute("huey.outcome", failureOutcome(task, error));
  }

  /** Marks a run that ended early (`revoked`, `expired`, `interrupted`) on its span. */
  ended(task: Task, outcome: RunOutcome): void {
    if (api !== undefined) this.#spans.get(task)?.setAttribute("huey.outcome", outcome);
  }

  /** The messaging attributes of a span (OpenTelemetry's semantic conventions). */
  #attributes(task: Task, operation: "send" | "process"): Record<string, string | number> {
    return {
      "messaging.system": "huey",
      "messaging.destination.name": this.#queue,
      "messaging.message.id": task.id,
      "messaging.operation.type": operation,
      "messaging.operation.name": operation,
      "huey.task.name": task.name,
      "huey.retries": task.retries,
      "huey.retried": task.retried,
    };
  }
}

/** The tracer, when a tracer provider is registered. */
function activeTracer(api: OtelApi): Tracer | undefined {
  const provider = api.trace.getTracerProvider() as { getDelegate?: () => unknown };
  if (provider.getDelegate?.() === noopProvider) return undefined;
  return api.trace.getTracer("huey", VERSION);
}

/** A context whose span is the remote one a message's trace context names. */
function remoteContext(api: OtelApi, trace: TraceContext): Context {
  const { traceState, ...ids } = fromTraceContext(trace);
  return api.trace.setSpanContext(api.context.active(), {
    ...ids,
    isRemote: true,
    traceState: traceState === undefined ? undefined : api.createTraceState(traceState),
  });
}

/** Runs `work`, then ends the spans; an error is recorded on each and passed on. */
async function traced<T>(api: OtelApi, spans: Span[], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    for (const span of spans) fail(api, span, error);
    throw error;
  } finally {
    for (const span of spans) span.end();
  }
}

/** Records an exception on a span and sets its status to ERROR. */
function fail(api: OtelApi, span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: api.SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

function failureOutcome(task: Task, error: unknown): RunOutcome {
  if (error instanceof TaskTimeout) return "timeout";
  if (error instanceof RateLimitExceeded) return "rate_limited";
  return task.retries > 0 ? "retry" : "error";
}
