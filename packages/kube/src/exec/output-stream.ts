/**
 * A ReadableStream fed from a socket that carries several streams. The socket has one flow
 * control for all of them (TCP's): `push` reports when this stream holds more than its high-water
 * mark, so the caller pauses the socket, and each read from any stream resumes it. A stream its
 * reader ignores grows only while another stream is being read.
 */
export class OutputStream {
  readonly readable: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #isOpen = true;

  constructor(highWaterMarkBytes: number, onPull: () => void, onCancel: () => void) {
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        pull: () => onPull(),
        cancel: () => {
          this.#isOpen = false;
          onCancel();
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: highWaterMarkBytes }),
    );
  }

  /** Queues `data`; true when the stream is full and the source should pause. */
  push(data: Uint8Array): boolean {
    if (!this.#isOpen || data.byteLength === 0) return false;
    this.#controller.enqueue(data);
    return (this.#controller.desiredSize ?? 0) <= 0;
  }

  close(): void {
    if (!this.#isOpen) return;
    this.#isOpen = false;
    this.#controller.close();
  }

  error(reason: unknown): void {
    if (!this.#isOpen) return;
    this.#isOpen = false;
    this.#controller.error(reason);
  }
}
