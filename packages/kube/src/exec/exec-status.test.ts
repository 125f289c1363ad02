import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { exitCodeOf } from './exec-status.ts';
import { exitStatusJson, internalErrorJson } from './stand-in-status.ts';

// The error channel's Status as Kubernetes writes it (encoding/json of a metav1.Status).
const RECORDED = {
  success: '{"metadata":{},"status":"Success"}',
  // The API server's WebSocket translator (Kubernetes ≥ 1.30), from the SPDY client's error.
  translatorExit3:
    '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: command terminated with exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}',
  // The kubelet's own WebSocket server (earlier versions), from containerd's exit error.
  kubeletExit137:
    '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sleep 60], exit code 137","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"137"}]}}',
  missingProgram:
    '{"metadata":{},"status":"Failure","message":"Internal error occurred: error executing command in container: failed to exec in container: failed to start exec \\"0f3c\\": OCI runtime exec failed: exec failed: unable to start container process: exec: \\"nope\\": executable file not found in $PATH: unknown","reason":"InternalError","details":{"causes":[{"message":"error executing command in container: failed to exec in container: failed to start exec \\"0f3c\\": OCI runtime exec failed: exec failed: unable to start container process: exec: \\"nope\\": executable file not found in $PATH: unknown"}]},"code":500}',
  containerGone:
    '{"metadata":{},"status":"Failure","message":"Internal error occurred: error executing command in container: container not running (0f3c)","reason":"InternalError","details":{"causes":[{"message":"error executing command in container: container not running (0f3c)"}]},"code":500}',
};

describe('exit codes from the error channel', () => {
  it('reads Success as 0 and NonZeroExitCode causes as their code', () => {
    assert.equal(exitCodeOf(RECORDED.success), 0);
    assert.equal(exitCodeOf(RECORDED.translatorExit3), 3);
    assert.equal(exitCodeOf(RECORDED.kubeletExit137), 137);
  });

  it("reads the runtime's missing program as 127, as a shell says it", () => {
    assert.equal(exitCodeOf(RECORDED.missingProgram), 127);
  });

  it('turns any other failure, and what is no Status, into runtime_unavailable', () => {
    for (const json of [
      RECORDED.containerGone,
      'not json',
      '{"status":"Maybe"}',
      '{"metadata":{},"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[]}}',
      '{"metadata":{},"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"x"}]}}',
    ]) {
      assert.throws(
        () => exitCodeOf(json),
        (error) => isPaddockError(error, 'runtime_unavailable'),
        json,
      );
    }
  });

  it('the stand-in writes the same bytes as the recorded server', () => {
    assert.equal(exitStatusJson(0), RECORDED.success);
    assert.equal(exitStatusJson(3), RECORDED.translatorExit3);
    const cause =
      'error executing command in container: failed to exec in container: failed to start exec "0f3c": OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown';
    assert.equal(internalErrorJson(cause), RECORDED.missingProgram);
  });
});
