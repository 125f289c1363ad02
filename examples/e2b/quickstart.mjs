// E2B code, unchanged, against Paddock: the official `e2b` SDK configured only by its own
// environment variables (docs/e2b.md):
//   E2B_API_URL=http://127.0.0.1:7070/e2b E2B_SANDBOX_URL=http://127.0.0.1:7070/e2b \
//   E2B_API_KEY=pdk_… node examples/e2b/quickstart.mjs
import { Sandbox } from 'e2b';

const sandbox = await Sandbox.create({ metadata: { example: 'quickstart' }, timeoutMs: 60_000 });
try {
  const hello = await sandbox.commands.run('echo "hello from $(whoami) in $PWD"');
  console.log(hello.stdout.trim());

  const py = await sandbox.commands.run('python3 -c "print(6 * 7)"');
  console.log(`python3 says ${py.stdout.trim()}`);

  await sandbox.files.write('notes/todo.txt', 'written through the SDK\n');
  const listed = await sandbox.files.list('notes');
  console.log(`notes/: ${listed.map((entry) => entry.name).join(' ')}`);
  console.log(`read back: ${(await sandbox.files.read('notes/todo.txt')).trim()}`);

  const background = await sandbox.commands.run('sleep 1; echo done in the background', {
    background: true,
  });
  console.log((await background.wait()).stdout.trim());

  try {
    await sandbox.commands.run('exit 3');
  } catch (error) {
    console.log(`${error.name}: exit code ${error.exitCode}`);
  }
} finally {
  await sandbox.kill();
}
