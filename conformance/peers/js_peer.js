// Drives the official JS SDK (novita-sdk 3.1.3) against a server, unchanged: submits a Wan 2.1
// text-to-video job with the SDK's `wanT2v` (which sends the bare key, without `Bearer`, and
// the fields of the SDK's own example), and polls with `progress` until the task ends.
//
// Usage: node js_peer.js BASE_URL. Prints `statuses ...` and `final STATUS VIDEO_URL`; exits 1
// with the SDK's error otherwise.

const { NovitaSDK } = require("novita-sdk");

const sdk = new NovitaSDK("sdk-peer-key");
sdk.setBaseUrl(process.argv[2]);

async function main() {
  const { task_id } = await sdk.wanT2v({
    model_name: "wan-t2v",
    prompt: "A red fox trotting through fresh snow",
    width: 832,
    height: 480,
    frames: 81,
  });
  const seen = new Set();
  for (;;) {
    const result = await sdk.progress({ task_id });
    seen.add(result.task.status);
    if (["TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED"].includes(result.task.status)) {
      console.log("statuses", [...seen].sort().join(","));
      console.log("final", result.task.status, result.videos[0].video_url);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

main().catch((error) => {
  console.error("sdk error", error.code, error.reason, error.message);
  process.exit(1);
});
