# The host side of starting and entering a sandbox, in one short-lived process (see
# host-commands.ts, which builds its command lines). One perl start replaces a chain of bash,
# unshare, mount, setpriv, prlimit, nsenter and sh: every step is a system call here.
#
#   perl host-helper.pl NUMBERS launch OPTION... -- bwrap ARG...
#   perl host-helper.pl NUMBERS enter OPTION... -- COMMAND ARG...
#   perl host-helper.pl -r FD  (the same words, NUL-ended, read from descriptor FD)
#   perl host-helper.pl -z     (the launcher: launch requests on stdin, see below)
#   perl host-helper.pl -s FD  (a background process's chain, see below)
#   perl host-helper.pl -o NUMBERS  (a spare exec helper made on demand, see below)
#
# NUMBERS: the host's system call numbers, `name=nr,...` (host-commands.ts knows the tables).
# OPTIONs are `key=value` words:
#   keep=N          a descriptor to keep open besides 0, 1 and 2 (repeatable)
#   cgroup=FILE     a cgroup.procs file to join before anything else runs (repeatable)
#   rlimit=R:S:H    resource number R limited to soft S, hard H (repeatable)
#   file=FD:r:PATH, file=FD:w:PATH   PATH opened (w: created or truncated, 0600) as descriptor
#                   FD, which stays open for what runs next (repeatable)
# launch (the spawned pid ends as bwrap's: everything execs):
#   uid=N           stage the directories in a private mount namespace, then become N:N with no
#                   supplementary groups (Paddock runs as root)
#   sandbox=DIR, rootfs=DIR, dir=DIR (repeatable: tool directories, host mounts, the /etc
#                   copy): what to stage, on a tmpfs at /tmp, at /tmp/sandbox, /tmp/rootfs and
#                   /tmp/tools/<i>
# enter (forks once, for the pid namespace, and mirrors the command's exit like nsenter):
#   pid=N           the sandbox's anchor: its namespaces, root and working directory are joined
#   env=FILE        NUL-separated NAME=value pairs, read then removed (secrets never in argv)
#   envwords=N      instead, the last N words are the NAME=value pairs (`-r` only: a request
#                   descriptor, never argv)
#   cwd=DIR         the working directory inside
#   user=UID:GID    become this user inside; absent: keep the mapped credentials (rootless)
#   stdio=UID:GID   (as root) the host user the sandbox user maps to: descriptors 0 to 2 that
#                   are pipes or the exec's terminal (never a file or another device) are handed
#                   to it, as runc does, so the command may reopen them (/dev/stdout)
#   seccomp=FILE    a compiled seccomp program installed right before the command runs
# bind: pid=N src=DIR dest=PATH [owner=UID:GID] [replace=1]   (as root) a copy of the host
#   directory DIR, read-only, nosuid, nodev and private, attached at PATH inside the running
#   sandbox whose anchor is N. PATH is walked from the sandbox's root without following any
#   symlink (one planted there is refused, never followed); missing directories are made, owned
#   by UID:GID. replace=1: what is mounted at PATH is detached first (a previous bind).
# No `use strict` or `%!`: each module loaded is paid on every start and every exec.

# `-r FD`: started ahead of need (see helper-pool.ts); the words arrive NUL-ended on descriptor
# FD, closed by the writer, so the wait costs nothing when they come.
my $is_request;
# A spare exec helper's (see exec_spare, launcher-requests.pl) exit status pipe: `exit N` or
# `signal N` goes there.
my $status_out;
# A background process's relay (background-relay.pl): the pipes that ask it to drain and answer.
our ($relay_ctl, $relay_ack);
if (@ARGV == 2 && $ARGV[0] eq '-r') {
  open(my $request, '<&=', $ARGV[1]) or exit 126;
  local $/ = "\0";
  @ARGV = map { chomp; $_ } <$request>;
  close $request;
  exit 0 unless @ARGV;    # the pool closed without a request
  $is_request = 1;
}
# `-s FD`: the chain of a spare supervisor (background-supervisor.pl), started ahead of need:
# DIR, INPROCESS, COUNT and COUNT words arrive NUL-ended on descriptor FD. INPROCESS 1: the words
# are this helper's, output going through pipes to DIR's `stdout` and `stderr` (a relay, forked
# while it waits: background-relay.pl);
# else an argv to exec with those files as its output (gVisor's, which writes them from inside).
if (@ARGV == 2 && $ARGV[0] eq '-s') {
  require(__FILE__ =~ s{[^/]*$}{background-relay.pl}r);
  relay_ahead($ARGV[1]);
  open(my $request, '<&=', $ARGV[1]) or exit 126;
  local $/ = "\0";
  my @head = map { my $w = <$request>; defined $w ? ($w =~ s/\0$//r) : () } 1 .. 3;
  exit 0 unless @head == 3;    # the supervisor or the launcher ended without a job
  my ($dir, $in_process, $count) = @head;
  @ARGV = map { my $w = <$request>; $w =~ s/\0$//r } 1 .. $count;
  close $request;
  open(STDIN, '<', '/dev/null');
  if ($in_process eq '1') {
    relay_output($dir);
  } else {
    relay_cancel();
    # O_WRONLY | O_APPEND | O_CREAT, private.
    sysopen(STDOUT, "$dir/stdout", 01 | 02000 | 0100, 0600) or exit 127;
    sysopen(STDERR, "$dir/stderr", 01 | 02000 | 0100, 0600) or exit 127;
    exec { $ARGV[0] } @ARGV;
    print STDERR "cannot run $ARGV[0]: $!\n";
    exit 127;
  }
}
# `-p NUMBERS FD...`: a spare exec helper (exec_spare, launcher-requests.pl), with its five
# pipes' read and write ends: stdin, stdout, stderr, request, exit status. `-o NUMBERS`: the same, spawned by Paddock
# when no spare is ready: it makes the pipes itself and answers `ok PID FD:INODE...` (as
# exec_spare does) on stdout. Paddock holds the ends it opened through /proc (never a socket,
# which a command could not reopen as /dev/stdout); once the words (`COUNT\0` then COUNT
# NUL-ended words) come on the request pipe, the spare drops those, takes the others as
# descriptors 0 to 2 and runs them, no longer tied to the launcher.
my ($spare_numbers, @spare_ends);
if (@ARGV == 12 && $ARGV[0] eq '-p') {
  (undef, $spare_numbers, my @fds) = @ARGV;
  @spare_ends = map { open(my $fh, $_ % 2 ? '>&=' : '<&=', $fds[$_]) or exit 126; $fh } 0 .. 9;
}
if (@ARGV == 2 && $ARGV[0] eq '-o') {
  $spare_numbers = $ARGV[1];
  @spare_ends = map { pipe(my $r, my $w) or exit 126; ($r, $w) } 1 .. 5;
  syswrite(STDOUT, join(' ', 'ok', $$, spare_answer(@spare_ends)) . "\n");
  open(STDOUT, '>', '/dev/null');
}
if (@spare_ends) {
  my %nr = map { split /=/, $_, 2 } split /,/, $spare_numbers;
  my ($in_r, $in_w, $out_r, $out_w, $err_r, $err_w, $request_r, $request_w, $status_r, $status_w) =
    @spare_ends;
  my $words = '';
  while (1) {
    my @fields = split /\0/, $words, -1;
    if (@fields > 1 && $fields[0] =~ /^\d+$/ && $#fields > $fields[0]) {
      @ARGV = @fields[ 1 .. $fields[0] ];
      last;
    }
    sysread($request_r, $words, 65536, length $words) or exit 0;
  }
  syscall($nr{prctl} + 0, 1, 0, 0, 0, 0);    # outlives the launcher from here, as a spawn would
  close $_ for $in_w, $out_r, $err_r, $request_r, $request_w, $status_r;
  open(STDIN, '<&', $in_r) or exit 126;
  open(STDOUT, '>&', $out_w) or exit 126;
  open(STDERR, '>&', $err_w) or exit 126;
  close $_ for $in_r, $out_w, $err_w;
  @spare_ends = ();
  fcntl($status_w, 2, 1);    # F_SETFD: FD_CLOEXEC, never the command's
  $status_out = $status_w;
  $is_request = 1;
}
# `-z`: the launcher (see launcher.ts), started once, small, so that starting a sandbox costs a
# fork of it rather than a fork of Paddock (which copies all of Paddock's memory map). Requests
# on stdin: `ID\0KIND\0COUNT\0` then COUNT words, each NUL-ended; each gets a watcher process
# and one answer line on stdout. KIND `launch`: a `launch` command line whose bwrap has
# `--info-fd 3`; the watcher starts it (with bwrap's stderr and info descriptor on pipes to it),
# waits until the sandbox's init has forked and exec'd its anchor, and answers
# `ID ok MONITOR INIT`, or `ID err MESSAGE` after killing what it started; steps at the head of
# its words (`prepare COUNT ...`, launch-prepare.pl) are done first, a failed one answered
# `ID errno ERRNO MESSAGE`. KIND `run`: a
# hostname or bind command line, answered `ID ok` or `ID err WHAT-IT-SAID` once it ended.
# KIND `hostname`: a running sandbox's rename, done by the launcher itself as root, else by one
# watcher (sandbox-hostname.pl).
# KIND `supervise`: a spare supervisor (background-supervisor.pl, compiled here once) takes the
# background process, answered `ID ok PID START-TICKS`. The launcher ends with its stdin, and
# its spare supervisors with it.
if (@ARGV == 1 && $ARGV[0] eq '-z') {
  my $supervisor = __FILE__ =~ s{[^/]*$}{background-supervisor.pl}r;
  require $supervisor;
  require(__FILE__ =~ s{[^/]*$}{launch-prepare.pl}r);
  require(__FILE__ =~ s{[^/]*$}{sandbox-hostname.pl}r);
  require(__FILE__ =~ s{[^/]*$}{launcher-requests.pl}r);
  $0 = 'paddock-launcher';
  $SIG{CHLD} = 'IGNORE';    # watchers end on their own; nothing waits for them
  my $buffer = '';
  my $launcher = $$;
  while (my ($id, $kind, $count, @words) = next_request(\$buffer)) {
    if ($kind eq 'supervise') { supervise_request($id, @words); next }
    if ($kind eq 'spare') { exec_spare($id, $launcher, @words); next }
    if ($kind eq 'hostname') { rename_host($id, @words); next }    # sandbox-hostname.pl
    my $watcher = fork;
    next if !defined $watcher || $watcher > 0;
    $SIG{CHLD} = 'DEFAULT';
    # Only the side that runs the words gets past these.
    ($kind eq 'launch' ? launched($id, @words) : ran($id, @words)) and last;
  }
  exit 0 unless @ARGV && $ARGV[0] ne '-z';
}

sub answer { my $line = join(' ', @_); $line =~ s/\n/ | /g; syswrite(STDOUT, "$line\n"); }

# `FD:INODE` of the ends of a spare's pipes (read and write end of each) that Paddock opens:
# stdin's write end, stdout's and stderr's read ends, the request's write end, the status's read
# end.
sub spare_answer { map { fileno($_) . ':' . (stat($_))[1] } @_[ 1, 2, 4, 7, 8 ] }

# A spare exec helper's last words on its status pipe (its parent, the launcher, reaps it).
sub report_status {
  return unless $status_out;
  syswrite($status_out, "@_\n");
  close $status_out;
  undef $status_out;
}
END { report_status('exit', $?) }

my %NR = map { split /=/, $_, 2 } split /,/, shift @ARGV;
my $mode = shift @ARGV;
my (%opt, @keep, @cgroups, @rlimits, @dirs, @files);
while (@ARGV) {
  my $word = shift @ARGV;
  last if $word eq '--';
  my ($key, $value) = split /=/, $word, 2;
  if ($key eq 'keep') { push @keep, $value }
  elsif ($key eq 'cgroup') { push @cgroups, $value }
  elsif ($key eq 'rlimit') { push @rlimits, $value }
  elsif ($key eq 'dir') { push @dirs, $value }
  elsif ($key eq 'file') { push @files, $value }
  else { $opt{$key} = $value }
}
# `envwords=N`: the last N words are the environment's pairs; only words that came on a request
# descriptor may carry it (never argv, which other host users can read).
my @env_words;
if (defined $opt{envwords}) {
  print STDERR "paddock-enter: envwords= only on a request descriptor\n" and exit 126
    unless $is_request && $opt{envwords} =~ /^\d+$/ && $opt{envwords} <= @ARGV;
  @env_words = splice(@ARGV, @ARGV - $opt{envwords});
}
my @command = @ARGV;
my $self = $mode eq 'enter' ? 'paddock-enter' : $mode eq 'bind' ? 'paddock-bind' : 'paddock-launch';

sub fail { print STDERR "$self: @_\n"; exit 126 }
# syscall() may write through string arguments, so it gets copies (numbers stay numbers).
sub call {
  my ($name, @args) = @_;
  my $r = syscall($NR{$name}, @args);
  fail("$name: $!") if $r == -1;
  $r;
}

# Nothing Paddock inherited without close-on-exec reaches a sandbox (a directory descriptor there
# would be a way out).
my %kept = map { $_ => 1 } (0, 1, 2, @keep, map { $_ ? fileno($_) : () } $status_out, $relay_ctl, $relay_ack);
opendir(my $fds, '/proc/self/fd') or fail("/proc/self/fd: $!");
my @open = grep { /^\d+$/ && !$kept{$_} } readdir $fds;
my $own = fileno $fds;
closedir $fds;
for my $fd (@open) { syscall($NR{close}, $fd + 0) if $fd != $own }

my @held;
for (@files) {
  my ($fd, $how, $path) = split /:/, $_, 3;
  my $fh;
  if ($how eq 'w') { sysopen($fh, $path, 01 | 0100 | 01000, 0600) or fail("$path: $!") }
  else { sysopen($fh, $path, 0) or fail("$path: $!") }
  if (fileno($fh) == $fd) {
    fcntl($fh, 2, 0) or fail("$path: $!");    # F_SETFD: no close-on-exec
    push @held, $fh;
  } else {
    call('dup3', fileno($fh), $fd + 0, 0);    # the copy is open across exec
    close $fh;
  }
}

# The cgroups first, so no process of the chain escapes its limits.
for my $file (@cgroups) {
  open(my $fh, '>', $file) or fail("$file: $!");
  print $fh "0" or fail("$file: $!");
  close $fh or fail("$file: $!");
}
for (@rlimits) {
  my ($resource, $soft, $hard) = split /:/;
  call('prlimit64', 0, $resource + 0, pack('QQ', $soft, $hard), 0);
}

if ($mode eq 'launch') {
  stage() if defined $opt{uid};
  # A spare reports the end of what it runs, which it cannot once it has exec'd it.
  if ($status_out) {
    my $child = fork;
    fail("fork: $!") unless defined $child;
    if ($child) { waitpid($child, 0); mirror($?) }
    close $status_out;
    undef $status_out;
  }
  exec { $command[0] } @command or fail("$command[0]: $!");
}
elsif ($mode eq 'enter') {
  enter();
}
elsif ($mode eq 'bind') {
  bind_readonly();
  exit 0;
}
fail("unknown mode $mode");

sub dir_fd {
  my $path = shift;
  sysopen(my $fh, $path, 0) or fail("$path: $!");
  $fh;
}

sub bind_fd {
  my ($fh, $target, $flags) = @_;
  call('mount', '/proc/self/fd/' . fileno($fh), $target, 0, 4096 | $flags, 0);
}

# The sandbox directory (and rootfs, and tool directories) mounted where bwrap, running as the
# sandbox's unprivileged host uid, can reach them even when their parents are closed to it
# (`/root/.paddock`): every directory is opened before anything is mounted on /tmp.
sub stage {
  call('unshare', 0x20000);
  call('mount', 0, '/', 0, 16384 | 262144, 0);
  # Opened in the new namespace (a bind from a mount of another one is refused).
  my $sandbox = dir_fd($opt{sandbox});
  my $rootfs = defined $opt{rootfs} ? dir_fd($opt{rootfs}) : undef;
  # Bound through the descriptor, which must still be the path that was checked (resolved, under
  # an allowed root): a directory swapped for a symlink since then is refused, not followed.
  my @dirfds = map {
    my $fh = dir_fd($_);
    my $opened = readlink('/proc/self/fd/' . fileno($fh));
    fail("$_ changed since it was checked (now $opened)") if $opened ne $_;
    $fh;
  } @dirs;
  # Mount points on a tmpfs of this namespace alone: a start makes none on the host's disk.
  call('mount', 'paddock-stage', '/tmp', 'tmpfs', 0, 'mode=0755,size=64k');
  my @points = ('/tmp/sandbox', $rootfs ? '/tmp/rootfs' : (), @dirfds ? '/tmp/tools' : ());
  mkdir $_ or fail("$_: $!") for @points, map { "/tmp/tools/$_" } 0 .. $#dirfds;
  # The sandbox directory recursively (16384, MS_REC): a size-limited workspace is a mount in it.
  bind_fd($sandbox, '/tmp/sandbox', 16384);
  bind_fd($rootfs, '/tmp/rootfs', 16384) if $rootfs;
  for my $i (0 .. $#dirfds) { bind_fd($dirfds[$i], "/tmp/tools/$i", 0) }
  close $_ for $sandbox, grep { defined } $rootfs, @dirfds;
  call('setgroups', 0, 0);
  call('setresgid', $opt{uid} + 0, $opt{uid} + 0, $opt{uid} + 0);
  call('setresuid', $opt{uid} + 0, $opt{uid} + 0, $opt{uid} + 0);
}

sub enter {
  # While still the host's root: the exec's pipes and terminal are the sandbox user's to reopen,
  # and nobody else's (0600, as they were made).
  if (defined $opt{stdio}) {
    my ($uid, $gid) = split /:/, $opt{stdio};
    for my $fh (\*STDIN, \*STDOUT, \*STDERR) {
      my ($mode, $rdev) = (stat $fh)[ 2, 6 ];
      my $type = ($mode // 0) & 0170000;
      # A pipe, or this exec's terminal (a pty: majors 136 to 143); never a file or another device.
      my $is_pty = $type == 0020000 && (($rdev >> 8) & 0xfff) >= 136 && (($rdev >> 8) & 0xfff) <= 143;
      chown($uid + 0, $gid + 0, $fh) or fail("stdio: $!") if $type == 0010000 || $is_pty;
    }
  }
  my %env = map { split /=/, $_, 2 } @env_words;
  if (defined $opt{env}) {
    open(my $fh, '<', $opt{env}) or fail("$opt{env}: $!");
    unlink $opt{env};
    local $/ = "\0";
    while (my $pair = <$fh>) {
      chomp $pair;
      my ($name, $value) = split /=/, $pair, 2;
      $env{$name} = $value;
    }
    close $fh;
  }
  # Read on the host side: the path is a host path, gone once the root is the sandbox's.
  my $program;
  if (defined $opt{seccomp}) {
    open(my $fh, '<:raw', $opt{seccomp}) or fail("$opt{seccomp}: $!");
    local $/;
    $program = <$fh>;
    close $fh;
  }
  my $pid = $opt{pid};
  my %ns = map { $_ => dir_fd("/proc/$pid/ns/$_") } qw(user ipc uts net pid mnt cgroup);
  my $root = dir_fd("/proc/$pid/root");
  my @others = map { $ns{$_} } qw(ipc uts net cgroup pid mnt);
  # As root, join the sandbox's user namespace last (its nested one, under --disable-userns,
  # owns none of the others); unprivileged, first: it is what gives the rights to join the rest.
  my @order = defined $opt{user} ? (@others, $ns{user}) : ($ns{user}, @others);
  # Root's own groups must not follow it in (inside, setgroups is denied to a namespace an
  # unprivileged uid made).
  call('setgroups', 0, 0) if defined $opt{user};
  call('setns', fileno($_), 0) for @order;
  $0 = $self;
  close $_ for values %ns;
  my $child = fork;
  fail("fork: $!") unless defined $child;
  if ($child == 0) {
    # Only the helper reports its exit (the pipe is close-on-exec besides).
    close $status_out if $status_out;
    undef $status_out;
    # The command leads a process group of its own (its pid, which the sandbox sees too), so a
    # signal to that group reaches the command and all it starts, and nothing of the host side.
    setpgrp(0, 0);
    if (-t STDIN) {
      # On a terminal, that group is the foreground one (TIOCSPGRP), or reading it would stop.
      local $SIG{TTOU} = 'IGNORE';
      ioctl(STDIN, 0x5410, pack('i', getpgrp()));
    }
    chdir $root or fail("chdir: $!");
    chroot '.' or fail("chroot: $!");
    close $root;
    if (defined $opt{user}) {
      my ($uid, $gid) = split /:/, $opt{user};
      call('setresgid', $gid + 0, $gid + 0, $gid + 0);
      call('setresuid', $uid + 0, $uid + 0, $uid + 0);
    }
    umask 022;
    chdir $opt{cwd} // '/' or fail("cd $opt{cwd}: $!");
    call('prctl', 38, 1, 0, 0, 0);
    call('seccomp', 1, 0, pack('S x![P] P', length($program) / 8, $program)) if defined $program;
    %ENV = %env;
    exec { $command[0] } @command;
    my $missing = $! + 0 == 2;    # ENOENT
    print STDERR "$command[0]: $!\n";
    exit($missing ? 127 : 126);
  }
  setpgrp($child, $child);    # also from here: a signal right after the fork finds the group
  close $root;
  waitpid($child, 0);
  relay_drained() if $relay_ctl;
  mirror($?);
}

# Ends as the child whose wait status is `status` did.
sub mirror {
  my $status = shift;
  if ($status & 127) {
    # Die of the same signal, as nsenter does, so the caller sees the command's own end.
    my $signal = $status & 127;
    report_status('signal', $signal);
    $SIG{$_} = 'DEFAULT' for keys %SIG;
    kill $signal, $$;
    exit 128 + $signal;
  }
  exit($status >> 8);
}

# The directory NAME under the directory descriptor DIR, made (owned by `owner`) when missing.
sub child_dir {
  my ($dir, $name) = @_;
  # open_how for openat2: O_PATH | O_CLOEXEC, with RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS:
  # a symlink is an error (ELOOP), never followed.
  my $NO_LINKS = pack('QQQ', 010000000 | 02000000, 0, 0x02 | 0x04);
  my $fd = syscall($NR{openat2}, $dir, $name, $NO_LINKS, 24);
  if ($fd == -1 && $! + 0 == 2) {    # ENOENT
    my $made = syscall($NR{mkdirat}, $dir, $name, 0755);
    fail("$opt{dest}: cannot make $name: $!") if $made == -1 && $! + 0 != 17;    # EEXIST
    $fd = syscall($NR{openat2}, $dir, $name, $NO_LINKS, 24);
    if ($fd != -1 && $made != -1 && defined $opt{owner}) {
      my ($uid, $gid) = split /:/, $opt{owner};
      call('fchownat', $fd, '', $uid + 0, $gid + 0, 0x1000);    # AT_EMPTY_PATH
    }
  }
  fail("$opt{dest}: $name is a symbolic link") if $fd == -1 && $! + 0 == 40;    # ELOOP
  fail("$opt{dest}: $name: $!") if $fd == -1;
  open(my $fh, '<&=', $fd) or fail("$opt{dest}: $name: $!");
  fail("$opt{dest}: $name is not a directory") unless -d $fh;
  $fh;
}

sub bind_readonly {
  # OPEN_TREE_CLONE | AT_RECURSIVE | OPEN_TREE_CLOEXEC: a detached copy, seen by nobody yet.
  my $tree = call('open_tree', -100, $opt{src}, 1 | 0x8000 | 02000000);
  # MOUNT_ATTR_RDONLY | NOSUID | NODEV, and MS_PRIVATE: no peer of the host's mount.
  call('mount_setattr', $tree, '', 0x1000 | 0x8000, pack('QQQQ', 1 | 2 | 4, 0, 1 << 18, 0), 32);
  my $ns = dir_fd("/proc/$opt{pid}/ns/mnt");
  my $root = dir_fd("/proc/$opt{pid}/root");
  call('setns', fileno($ns), 0x20000);
  chdir $root or fail("chdir: $!");
  chroot '.' or fail("chroot: $!");
  my @parts = grep { length } split m{/}, $opt{dest};
  my $last = pop @parts;
  fail("$opt{dest}: not a mount path") unless defined $last;
  my $dir = dir_fd('/');
  $dir = child_dir(fileno($dir), $_) for @parts;
  if ($opt{replace}) {
    # One component, not followed, relative to the directory found without symlinks.
    call('fchdir', fileno($dir));
    my $r = syscall($NR{umount2}, $last, 2 | 8);    # MNT_DETACH | UMOUNT_NOFOLLOW
    fail("$opt{dest}: cannot detach the previous files: $!") if $r == -1 && $! + 0 != 22;
  }
  my $target = child_dir(fileno($dir), $last);
  # MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH: onto exactly the directory checked.
  call('move_mount', $tree, '', fileno($target), '', 0x04 | 0x40);
}
