// The TypeScript example .ci/js-package checks with `tsc --noEmit`: the package's types, as a
// TypeScript suite uses them. The @ts-expect-error lines fail the check if the types were
// loose (any): the control client is typed from the control API's spec.
import { NovitaSDK } from "novita-sdk";
import {
  ControlError,
  startNovitaMock,
  type Clock,
  type NovitaMock,
  type TaskDetail,
  type TaskStatus,
} from "novita-mock";

export async function example(): Promise<TaskStatus> {
  const mock: NovitaMock = await startNovitaMock({ paused: true, apiKeys: ["qa-key"] });
  try {
    const sdk = new NovitaSDK("qa-key");
    sdk.setBaseUrl(mock.url);
    const { task_id } = await sdk.wanT2v({
      model_name: "wan-t2v",
      prompt: "a fox",
      width: 832,
      height: 480,
      frames: 81,
      seed: 1,
    });
    const clock: Clock = await mock.control.advanceClock(30);
    const seconds: number = clock.now_seconds;
    const detail: TaskDetail = await mock.control.task(task_id);
    await mock.control.queueOutcome("reject", { reason: "ILLEGAL_PROMPT", status: 400, count: 1 });
    // @ts-expect-error: not an outcome the mock knows
    await mock.control.queueOutcome("explode");
    // @ts-expect-error: advanceClock takes seconds as a number
    await mock.control.advanceClock("30");
    // @ts-expect-error: no such control method
    await mock.control.advanceEverything();
    const entries = (await mock.control.journal({ path: "wan-t2v", limit: 10 })).entries;
    const statuses: Array<number | null> = entries.map((entry) => entry.status);
    console.log(seconds, statuses);
    return detail.summary.status;
  } catch (error) {
    if (error instanceof ControlError) console.error(error.status, error.body);
    throw error;
  } finally {
    await mock.stop();
  }
}
