const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export type Progress = { update: (text: string) => void; stop: () => void };

/** A spinner on one line of a terminal; does nothing when the output is not interactive. */
export function startProgress(
  write: (text: string) => void,
  isInteractive: boolean,
  text: string,
): Progress {
  if (!isInteractive) return { update: () => {}, stop: () => {} };
  let frame = 0;
  let current = text;
  const draw = () => write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${current}`);
  draw();
  const timer = setInterval(draw, 100);
  return {
    update: (next) => {
      current = next;
    },
    stop: () => {
      clearInterval(timer);
      write('\r\x1b[2K');
    },
  };
}
