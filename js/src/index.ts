// novita-mock: start the novita-mock binary from a JavaScript or TypeScript test suite and
// drive it through its control API.

export { startNovitaMock, connectNovitaMock, NovitaMock, type NovitaMockOptions } from "./mock.js";
export { ControlClient, TOKEN_HEADER, type ControlOptions, type QueueOptions } from "./control.js";
export {
  WebhookReceiver,
  startWebhookReceiver,
  Delivery,
  WebhookWaitError,
  MAX_BODY,
  MAX_DELIVERIES,
  type WaitOptions,
} from "./webhooks.js";
export { EventStream, type EventsOptions, type MockEvent } from "./events.js";
export { findBinary, checkBinary, ENV_BINARY } from "./binary.js";
export { platformPackages, PLATFORM_PACKAGES, type PlatformPackage } from "./platform.js";
export {
  NovitaMockError,
  BinaryError,
  StartupError,
  OptionRefused,
  ControlError,
  MockUnreachable,
} from "./errors.js";
export type * from "./types.js";
