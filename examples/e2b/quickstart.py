# The same as quickstart.mjs with E2B's Python SDK (pip install e2b), configured by the same
# environment variables: E2B_API_URL, E2B_SANDBOX_URL (both http://HOST:PORT/e2b) and E2B_API_KEY.
from e2b import Sandbox, CommandExitException

sandbox = Sandbox.create(metadata={"example": "quickstart"}, timeout=60)
try:
    print(sandbox.commands.run('echo "hello from $(whoami) in $PWD"').stdout.strip())
    print("python3 says", sandbox.commands.run('python3 -c "print(6 * 7)"').stdout.strip())

    sandbox.files.write("notes/todo.txt", "written through the SDK\n")
    print("notes/:", " ".join(entry.name for entry in sandbox.files.list("notes")))
    print("read back:", sandbox.files.read("notes/todo.txt").strip())

    background = sandbox.commands.run("sleep 1; echo done in the background", background=True)
    print(background.wait().stdout.strip())

    try:
        sandbox.commands.run("exit 3")
    except CommandExitException as error:
        print(f"CommandExitError: exit code {error.exit_code}")
finally:
    sandbox.kill()
