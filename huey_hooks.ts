/**
 * `HueyHooks`: a Huey's hooks and signal handlers, and the methods that add
 * and remove them. The base of `HueyData`, hence of `Huey`.
 *
 * @module
 */
import {
  HookList,
  type HookOptions,
  type PostExecuteHook,
  type PreExecuteHook,
  type WorkerHook,
} from "./hooks.ts";
import { SignalDispatcher, type SignalHandler, type SignalName } from "./signals.ts";

/** The hooks a Huey runs around tasks and workers, and its signal handlers. */
export class HueyHooks {
  /** The signal handlers. */
  readonly signals: SignalDispatcher = new SignalDispatcher();
  /** The pre-execute hooks. */
  readonly preExecuteHooks: HookList<PreExecuteHook> = new HookList();
  /** The post-execute hooks. */
  readonly postExecuteHooks: HookList<PostExecuteHook> = new HookList();
  /** Hooks each consumer worker runs when it starts. */
  readonly startupHooks: HookList<WorkerHook> = new HookList();
  /** Hooks each consumer worker runs when it stops. */
  readonly shutdownHooks: HookList<WorkerHook> = new HookList();

  /** Adds a hook run before every task; it may throw `CancelExecution`. */
  preExecute(fn: PreExecuteHook, options?: HookOptions): PreExecuteHook {
    return this.preExecuteHooks.add(fn, options);
  }
  /** Removes a pre-execute hook by name or function; `true` when it was there. */
  unregisterPreExecute(nameOrFn: string | PreExecuteHook): boolean {
    return this.preExecuteHooks.remove(nameOrFn);
  }
  /** Adds a hook run after every task, with `(task, value, error)`. */
  postExecute(fn: PostExecuteHook, options?: HookOptions): PostExecuteHook {
    return this.postExecuteHooks.add(fn, options);
  }
  /** Removes a post-execute hook by name or function; `true` when it was there. */
  unregisterPostExecute(nameOrFn: string | PostExecuteHook): boolean {
    return this.postExecuteHooks.remove(nameOrFn);
  }
  /** Adds a hook each consumer worker runs when it starts. */
  onStartup(fn: WorkerHook, options?: HookOptions): WorkerHook {
    return this.startupHooks.add(fn, options);
  }
  /** Removes a startup hook; `true` when it was there. */
  unregisterOnStartup(nameOrFn: string | WorkerHook): boolean {
    return this.startupHooks.remove(nameOrFn);
  }
  /** Adds a hook each consumer worker runs when it stops. */
  onShutdown(fn: WorkerHook, options?: HookOptions): WorkerHook {
    return this.shutdownHooks.add(fn, options);
  }
  /** Removes a shutdown hook; `true` when it was there. */
  unregisterOnShutdown(nameOrFn: string | WorkerHook): boolean {
    return this.shutdownHooks.remove(nameOrFn);
  }

  /** Connects a handler to signals (to all when none are named); returns the handler. */
  signal(handler: SignalHandler, ...signals: SignalName[]): SignalHandler {
    this.signals.connect(handler, ...signals);
    return handler;
  }
  /** Disconnects a handler from signals (from all when none are named). */
  disconnectSignal(handler: SignalHandler, ...signals: SignalName[]): void {
    this.signals.disconnect(handler, ...signals);
  }
}
