/**
 * huey for TypeScript: a small, reliable task queue for Deno, Node and Bun.
 *
 * @example
 * ```ts
 * import { MemoryHuey } from "./mod.ts";
 * const huey = new MemoryHuey("demo", { immediate: true });
 * const add = huey.task(function add(a: number, b: number) { return a + b; });
 * const result = await add(1, 2);
 * console.assert((await result.get()) === 3);
 * ```
 *
 * @module
 */
export { Huey } from "./huey.ts";
/** The bases of `Huey`, exported so their members appear in its documentation. */
export type { HueyControls } from "./huey_controls.ts";
export type { HueyData } from "./huey_data.ts";
export type { HueyHooks } from "./huey_hooks.ts";
export type { PostExecuteHook, PreExecuteHook, WorkerHook } from "./hooks.ts";
export type {
  DequeueTaskOptions,
  ExecuteOptions,
  HueyOptions,
  RevokeTarget,
} from "./huey_options.ts";
export {
  BlackHoleHuey,
  FileHuey,
  MemoryHuey,
  PostgresHuey,
  PriorityRedisExpireHuey,
  PriorityRedisHuey,
  RedisExpireHuey,
  RedisHuey,
  SqliteHuey,
} from "./huey_kinds.ts";
export { Task } from "./task.ts";
export type { ChordMembership, TaskData, TaskOptionsUpdate, TaskSource } from "./task.ts";
export type { TraceContext } from "./trace_context.ts";
export type { ContextTaskOptions, TaskContext, TaskDefinition, TaskOptions } from "./registry.ts";
export type { AnyTaskWrapper, ArgsPrefix, ScheduleOptions, TaskWrapper } from "./wrapper.ts";
export type { IsRevokedOptions, RevokeOptions } from "./revoke.ts";
export type { FailureRecord, FailuresOptions } from "./failures.ts";
export type { DurationStats, Stats, StorageCounts, TaskStats } from "./stats.ts";
export type { ConsumerInfo, RunningTask } from "./heartbeat.ts";
export { DURATION_BUCKETS, metrics, METRICS_CONTENT_TYPE } from "./metrics.ts";
export type { MetricsSource } from "./metrics.ts";
export { Result, ResultGroup } from "./result.ts";
export { Group, group } from "./group.ts";
export { Chord, chord } from "./chord.ts";
export type { ChordCallback, ChordMember, MemberValue } from "./chord.ts";
export { ChordResult } from "./chord_result.ts";
export type {
  AsCompletedOptions,
  GetOptions,
  RescheduleOptions,
  ResultRevokeOptions,
} from "./result.ts";
export { isTuple, tuple } from "./tuple.ts";
export type { Tuple } from "./tuple.ts";
export { MiniHuey } from "./mini.ts";
export type { MiniHueyOptions, MiniScheduleOptions, MiniTask } from "./mini.ts";
export { TaskLock } from "./lock.ts";
export type { LockOptions } from "./lock.ts";
export { RateLimit } from "./rate_limit.ts";
export type { RateLimitOptions, TaskRateLimitOptions } from "./rate_limit.ts";
export { crontab, crontabText } from "./crontab.ts";
export type { CrontabOptions, CrontabValidator } from "./crontab.ts";
export { Serializer, SignedSerializer } from "./serializer.ts";
export type { SerializerLike, SerializerOptions, SignedSerializerOptions } from "./serializer.ts";
export {
  SIGNAL_CANCELED,
  SIGNAL_COMPLETE,
  SIGNAL_ENQUEUED,
  SIGNAL_ERROR,
  SIGNAL_EXECUTING,
  SIGNAL_EXPIRED,
  SIGNAL_INTERRUPTED,
  SIGNAL_LOCKED,
  SIGNAL_RATE_LIMITED,
  SIGNAL_RETRYING,
  SIGNAL_REVOKED,
  SIGNAL_SCHEDULED,
  SIGNAL_TIMEOUT,
  SIGNALS,
} from "./signals.ts";
export type { SignalHandler, SignalName } from "./signals.ts";
export {
  EVENT_CONSUMER_STARTED,
  EVENT_CONSUMER_STOPPED,
  EVENT_PROGRESS,
  EVENT_TYPES,
  EVENT_WORKER_DIED,
} from "./event.ts";
export type { EventRecord, EventType, HueyEvent } from "./event.ts";
export { EventStream } from "./event_stream.ts";
export type { EventsOptions } from "./event_stream.ts";
export {
  CancelExecution,
  ConfigurationError,
  HueyError,
  RateLimitExceeded,
  ResultTimeout,
  RetryTask,
  TaskError,
  TaskLockedError,
  TaskTimeout,
} from "./errors.ts";
export type {
  CancelExecutionOptions,
  ErrorMetadata,
  RateLimitExceededOptions,
  RetryTaskOptions,
} from "./errors.ts";
export { MemoryStorage } from "./storage/memory.ts";
export type { MemoryStorageOptions } from "./storage/memory.ts";
export { BlackHoleStorage } from "./storage/blackhole.ts";
export { SqliteStorage } from "./storage/sqlite.ts";
export type { SqliteStorageOptions } from "./storage/sqlite.ts";
export {
  PriorityRedisExpireStorage,
  PriorityRedisStorage,
  RedisExpireStorage,
  RedisStorage,
} from "./storage/redis.ts";
export type {
  RedisClusterNode,
  RedisClusterOptions,
  RedisConnection,
  RedisStorageOptions,
} from "./storage/redis.ts";
export { POSTGRES_SCHEMA_VERSION, postgresSchemaSql, PostgresStorage } from "./storage/postgres.ts";
export type { PostgresSql, PostgresStorageOptions } from "./storage/postgres.ts";
export { FileStorage } from "./storage/file.ts";
export type { FileStorageOptions } from "./storage/file.ts";
export type {
  DeadLetter,
  Delivery,
  DequeueOptions,
  EnqueueOnceOptions,
  FinishOptions,
  PutDataOptions,
  PutIfEmptyOptions,
  Storage,
} from "./storage/base.ts";
export { configureLogging, getLogger } from "./logger.ts";
export type { LevelName, LogConfig, Logger, LogRecord } from "./logger.ts";
