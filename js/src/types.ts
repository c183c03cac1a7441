// Names for the control API's schemas, taken from the types openapi-typescript generates from
// openapi/mock-control.yaml at build time (src/generated/, never edited by hand).

import type { components, operations } from "./generated/mock-control.js";

type Schemas = components["schemas"];

export type Health = Schemas["Health"];
export type Clock = Schemas["Clock"];
export type TaskStatus = Schemas["TaskStatus"];
export type TaskSummary = Schemas["TaskSummary"];
export type TaskList = Schemas["TaskList"];
export type TaskDetail = Schemas["TaskDetail"];
export type TaskResult = Schemas["TaskResult"];
export type TaskWebhookLog = Schemas["TaskWebhookLog"];
export type WebhookLog = Schemas["WebhookLog"];
export type JournalPage = Schemas["JournalPage"];
export type JournalEntry = Schemas["JournalEntry"];
export type Outcome = Schemas["Outcome"];
export type OutcomeType = Outcome["type"];
export type QueuedOutcome = Schemas["QueuedOutcome"];
export type ConfigView = Schemas["ConfigView"];
export type ControlErrorBody = Schemas["ControlError"];
export type NovitaErrorBody = Schemas["NovitaError"];

/** One outcome to queue: `count` defaults to 1 on the mock, `match` to every submission. */
export type OutcomeRequest = Omit<Schemas["OutcomeRequest"], "count"> & { count?: number };

/** The fields an outcome of `type` takes besides `type` itself. */
export type OutcomeFields<T extends OutcomeType> = Omit<Extract<Outcome, { type: T }>, "type">;

export type TasksQuery = NonNullable<operations["tasks"]["parameters"]["query"]>;
export type JournalQuery = NonNullable<operations["journal"]["parameters"]["query"]>;

export type { components, operations, paths } from "./generated/mock-control.js";
