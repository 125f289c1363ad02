# The launcher's side of its requests (host-helper.pl `-z`, which loads this file; see there for
# the request kinds): reading them, and the processes it forks for them: the watcher of a start
# (`launched`) or of a helper command line (`ran`), and spare exec helpers (`exec_spare`). Each
# returns true in the process that goes on to run the request's words as host-helper.pl would.
#
# No modules: the launcher pays for each at its start.

# The launcher's next request from stdin (ID, KIND, COUNT, then COUNT words), or none at its
# end. While it waits, it forks the spare supervisors it lacks once they are due (not right
# after a hand-over: a fork competes with the process just started).
sub next_request {
  my ($buffer) = @_;
  while (1) {
    my @fields = split /\0/, $$buffer, -1;    # the last one is what follows the last NUL
    if (@fields > 3 && $fields[2] =~ /^\d+$/ && $#fields >= 3 + $fields[2]) {
      my @request = splice(@fields, 0, 3 + $fields[2]);
      $$buffer = join("\0", @fields);
      return @request;
    }
    my $due = spares_due();
    if (defined $due) {
      my $rin = '';
      vec($rin, 0, 1) = 1;
      my $ready = select($rin, undef, undef, $due);
      next if $ready < 0;
      if ($ready == 0) {
        fork_spares();
        next;
      }
    }
    sysread(STDIN, $$buffer, 65536, length $$buffer) or return ();
  }
}

# In a watcher: forks the helper for `words` (a mode that prints only on failure: bind) and answers `ID ok` or `ID err WHAT-IT-SAID`. Returns true in the helper's own process.
sub ran {
  my ($id, @words) = @_;
  pipe(my $out_r, my $out_w) or do { answer($id, 'err', "pipe: $!"); exit 0 };
  my $child = fork;
  if (!defined $child) { answer($id, 'err', "fork: $!"); exit 0 }
  if ($child == 0) {
    close $out_r;
    open(STDIN, '<', '/dev/null');
    open(STDOUT, '>&', $out_w);
    open(STDERR, '>&', $out_w);
    close $out_w;
    @ARGV = @words;
    return 1;
  }
  close $out_w;
  my $said = '';
  while (sysread($out_r, my $chunk, 4096)) { $said .= $chunk if length($said) < 65536 }
  waitpid($child, 0);
  my $status = $?;
  $said =~ s/\s+$//;
  answer($id, $status == 0 ? 'ok' : ('err', $said || "exit " . ($status >> 8)));
  exit 0;
}

# KIND `spare` (words: NUMBERS): a fork of the launcher that waits as an exec helper, so that
# neither Node's fork of itself nor a perl start is on an exec's path or refills the pool
# (helper-pool.ts). It makes its stdin, stdout, stderr, request and exit status pipes and answers
# `ID ok PID FD:INODE...` for the ends Paddock opens through /proc/PID/fd (stdin's write end,
# stdout's, stderr's and the status's read ends, the request's write end; the inode tells a
# reused pid apart). Idle, it ends with the launcher (parent-death signal). Once the words
# (`COUNT\0` then COUNT NUL-ended words) come on the request pipe, it drops the ends Paddock
# holds, takes the others as descriptors 0 to 2 and returns true with @ARGV set, in its own
# session and no longer tied to the launcher; the parent returns false at once.
sub exec_spare {
  my ($id, $launcher, $numbers) = @_;
  my $pid = fork;
  if (!defined $pid) { answer($id, 'err', "fork: $!"); return 0 }
  return 0 if $pid;
  my %nr = map { split /=/, $_, 2 } split /,/, $numbers;
  syscall($nr{setsid} + 0);
  syscall($nr{prctl} + 0, 1, 15, 0, 0, 0);    # PR_SET_PDEATHSIG: SIGTERM (kept across exec)
  exit 0 if getppid() != $launcher;
  my @pipes = map { pipe(my $r, my $w) or exit 0; ($r, $w) } 1 .. 5;
  answer($id, 'ok', $$, spare_answer(@pipes));
  open(STDIN, '<', '/dev/null');
  open(STDOUT, '>', '/dev/null');
  fcntl($_, 2, 0) for @pipes;    # F_SETFD: open across the exec below
  $SIG{CHLD} = 'DEFAULT';         # an ignored SIGCHLD would outlive the exec
  # A perl of its own, compiled while it waits: a fork sharing the launcher's pages would copy
  # each page it touches on the exec's path.
  exec { $^X } $^X, __FILE__ =~ s{[^/]*$}{host-helper.pl}r, '-p', $numbers, map { fileno($_) } @pipes;
  exit 127;
}

# In a watcher: forks the launch and watches it. Returns true in the launch's own process, with
# @ARGV set to its words; the watcher itself answers and exits.
sub launched {
  my ($id, @words) = @_;
  # The start's file work first (launch-prepare.pl): a failed step starts nothing.
  my @failed = prepare_launch(\@words);
  if (@failed) { answer($id, 'errno', @failed); exit 0 }
  pipe(my $info_r, my $info_w) or do { answer($id, 'err', "pipe: $!"); exit 0 };
  pipe(my $err_r, my $err_w) or do { answer($id, 'err', "pipe: $!"); exit 0 };
  my $monitor = fork;
  if (!defined $monitor) { answer($id, 'err', "fork: $!"); exit 0 }
  if ($monitor == 0) {
    close $info_r;
    close $err_r;
    open(STDIN, '<', '/dev/null');
    open(STDOUT, '>', '/dev/null');
    open(STDERR, '>&', $err_w);
    close $err_w;
    # Its own session, as Paddock's detached spawn gave it; bwrap's info descriptor is 3 (the
    # info pipe's read end, closed above, held 3: the write end is never 3 itself).
    my %nr = map { split /=/, $_, 2 } split /,/, $words[0];
    syscall($nr{setsid} + 0, 0);
    syscall($nr{dup3} + 0, fileno($info_w), 3, 0);
    close $info_w;
    @ARGV = @words;
    return 1;
  }
  close $info_w;
  close $err_w;
  # bwrap writes its init's pid on the info descriptor; the anchor is up once the init has forked
  # a child that exec'd (another executable than the init's).
  my ($info, $errors, $init) = ('', '');
  my $deadline = time + 10;
  my ($rin, $ein) = ('', '');
  vec($rin, fileno($info_r), 1) = 1;
  vec($rin, fileno($err_r), 1) = 1;
  my ($info_open, $err_open, $waited) = (1, 1, 0);
  while (time < $deadline) {
    if (!defined $init) {
      my $rout = $rin;
      last unless $info_open || $err_open;
      select($rout, undef, undef, 0.5) > 0 or next;
      for ([ $info_r, \$info, \$info_open ], [ $err_r, \$errors, \$err_open ]) {
        my ($fh, $text, $open) = @$_;
        next unless $$open && vec($rout, fileno($fh), 1);
        my $n = sysread($fh, my $chunk, 4096);
        if ($n) { $$text .= $chunk } else { $$open = 0; vec($rin, fileno($fh), 1) = 0 }
      }
      ($init) = $info =~ /"child-pid"\s*:\s*(\d+)/;
      next;
    }
    last if waitpid($monitor, 1) == $monitor;    # WNOHANG: bwrap ended
    my $init_exe = readlink("/proc/$init/exe");
    if (open(my $c, '<', "/proc/$init/task/$init/children")) {
      my @children = split ' ', (<$c> // '');
      close $c;
      for (@children) {
        my $exe = readlink("/proc/$_/exe");
        if (defined $exe && defined $init_exe && $exe ne $init_exe) {
          answer($id, 'ok', $monitor, $init);
          exit 0;
        }
      }
    }
    # Each look costs a wake and a dozen system calls (the launches around compete for the same
    # cores): look every 0.2 ms at first, then an eighth of the time waited so far (the anchor is
    # seen at most that late, an eighth), at most every 5 ms.
    my $pause = $waited / 8;
    $pause = $pause < 0.0002 ? 0.0002 : $pause > 0.005 ? 0.005 : $pause;
    select(undef, undef, undef, $pause);
    $waited += $pause;
  }
  # Whatever bwrap said before it failed.
  while ($err_open) {
    my $n = sysread($err_r, my $chunk, 4096);
    if ($n) { $errors .= $chunk } else { $err_open = 0 }
    last if length($errors) > 65536;
  }
  kill 'KILL', -$monitor;
  my @last = grep { length } split /\n/, $errors;
  answer($id, 'err', join("\n", @last[ ($#last > 4 ? $#last - 4 : 0) .. $#last ]) || 'bwrap exited');
  exit 0;
}

1;
