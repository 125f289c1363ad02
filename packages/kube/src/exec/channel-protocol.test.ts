import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ChannelProtocol,
  decodeMessage,
  encodeChunks,
  encodeClose,
  encodeData,
  encodeResize,
  MAX_PAYLOAD_BYTES,
} from './channel-protocol.ts';

const bytes = (...parts: Array<number | string>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : Buffer.from(p))));

describe('channel protocol frames as an API server sends them', () => {
  it('decodes the empty first message that says the session is open', () => {
    assert.deepEqual(decodeMessage(bytes(1), ChannelProtocol.V5), {
      kind: 'data',
      channel: 1,
      data: Buffer.alloc(0),
    });
  });

  it('decodes stdout, stderr and the error channel by their first byte', () => {
    const stdout = decodeMessage(bytes(1, 'hello\n'), ChannelProtocol.V5);
    assert.equal(stdout?.kind === 'data' && Buffer.from(stdout.data).toString(), 'hello\n');
    assert.equal(stdout?.channel, 1);
    assert.equal(decodeMessage(bytes(2, 'oops'), ChannelProtocol.V4)?.channel, 2);
    const status = decodeMessage(
      bytes(3, '{"metadata":{},"status":"Success"}'),
      ChannelProtocol.V5,
    );
    assert.equal(status?.channel, 3);
  });

  it('reads [255, n] as the close of channel n under v5 only', () => {
    assert.deepEqual(decodeMessage(bytes(255, 1), ChannelProtocol.V5), {
      kind: 'close',
      channel: 1,
    });
    assert.equal(decodeMessage(bytes(255, 1), ChannelProtocol.V4), undefined);
    assert.equal(decodeMessage(bytes(255, 1, 2), ChannelProtocol.V5), undefined);
    assert.equal(decodeMessage(Buffer.alloc(0), ChannelProtocol.V5), undefined);
  });
});

describe('channel protocol frames this client sends', () => {
  it('prefixes stdin with channel 0', () => {
    assert.deepEqual(encodeData(0, Buffer.from('ls\n')), Buffer.from([0x00, 0x6c, 0x73, 0x0a]));
  });

  it('closes stdin with [255, 0]', () => {
    assert.deepEqual(encodeClose(0), Buffer.from([0xff, 0x00]));
  });

  it('sends a resize as client-go TerminalSize JSON on channel 4', () => {
    assert.deepEqual(encodeResize(80, 24), bytes(4, '{"Width":80,"Height":24}'));
  });

  it('splits a large write into frames of at most MAX_PAYLOAD_BYTES, each prefixed', () => {
    const data = Buffer.alloc(MAX_PAYLOAD_BYTES * 2 + 5, 7);
    const frames = [...encodeChunks(0, data)];
    assert.deepEqual(
      frames.map((f) => f.byteLength),
      [MAX_PAYLOAD_BYTES + 1, MAX_PAYLOAD_BYTES + 1, 6],
    );
    assert.ok(frames.every((f) => f[0] === 0));
    assert.deepEqual(Buffer.concat(frames.map((f) => f.subarray(1))), data);
  });
});
