// Shared by the package's own tests: the binary under test and a way to submit a task.
import { existsSync, readFileSync } from "node:fs";

/** The binary the tests run: NOVITA_MOCK_BIN (the CI script sets it to the static build). */
export function binaryUnderTest() {
  const bin = process.env.NOVITA_MOCK_BIN;
  if (!bin || !existsSync(bin)) {
    throw new Error(`set NOVITA_MOCK_BIN to a novita-mock binary (got ${JSON.stringify(bin)})`);
  }
  return bin;
}

/** Submits a Wan 2.1 text-to-video task the way Novita's API takes it; resolves to its id. */
export async function submitWan(url, webhookUrl) {
  const body = { prompt: "a fox in the snow", width: 832, height: 480 };
  if (webhookUrl) body.extra = { webhook: { url: webhookUrl } };
  const answer = await fetch(`${url}/v3/async/wan-t2v`, {
    method: "POST",
    headers: { Authorization: "Bearer qa-key", "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await answer.json();
  if (answer.status !== 200) throw new Error(`submit: ${answer.status} ${JSON.stringify(json)}`);
  return json.task_id;
}

/** True while `pid` is a live process (a zombie counts as gone). Linux: reads /proc. */
export function alive(pid) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
}
