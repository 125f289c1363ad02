# The supervisors of background processes, kept ready by the launcher (`host-helper.pl -z`, see
# launcher.ts), which loads this file once. A spare supervisor is a fork of the launcher that has
# left its session and pipes (so the process it runs outlives the launcher and the Paddock
# instance that started it) and has forked the process that will run the chain; both wait on a
# pipe. A `supervise` request hands the process directory to a spare and forks another, so no
# fork and no perl compile is on the process's path (starting a supervisor of its own took a
# fork of Node and two perl compiles: about 30 ms). The chain is the host chain recorded in
# <dir>/launch.nul, run with its output appended to <dir>/stdout and <dir>/stderr; a chain that
# is this helper's own `enter` runs in the forked process itself, already compiled. The
# supervisor enforces the timeout and writes the exit status to <dir>/exit.json (atomically)
# when the chain ends.
#
# launch.nul holds NUL-terminated fields: the timeout in milliseconds (empty: none), then three
# counted lists: the on-timeout argv, the environment (NAME=value), the argv to run.
#
# Request words: NUMBERS DIR INPROCESS. INPROCESS 1: the argv is `perl host-helper.pl WORDS...`,
# whose WORDS the chain runs without a new perl. Answer: `ID ok PID START-TICKS` (the
# supervisor's identity, as /proc/PID/stat has it), or `ID err MESSAGE`.
# No `use strict`: see host-helper.pl (the launcher's start is on a sandbox start's path).

my $SPARES = 2;
my @spares;    # [pid, start ticks, job pipe] of each waiting supervisor
my $setsid;    # the system call's number, from the first request

# In the launcher: hands the request to a spare supervisor and answers for it, then forks
# spares up to $SPARES. Returns true only in a chain's own process that runs this helper's words
# (@ARGV set to them).
sub supervise_request {
  my ($id, $numbers, $dir, $in_process) = @_;
  ($setsid) = $numbers =~ /(?:^|,)setsid=(\d+)/;
  my $handed;
  # A spare that died fails the write (EPIPE): the next one, forked anew once none is left.
  for (1 .. 2 * $SPARES + 1) {
    last if $handed;
    fork_spares() and return 1 unless @spares;
    my $spare = shift @spares or last;
    my ($pid, $ticks, $job) = @$spare;
    local $SIG{PIPE} = 'IGNORE';
    $handed = syswrite($job, "$dir\0$in_process\0") && [ $pid, $ticks ];
    close $job;
  }
  if ($handed) { answer($id, 'ok', @$handed) }
  else { answer($id, 'err', "no supervisor could start: $!") }
  return fork_spares();
}

sub fork_spares {
  while (@spares < $SPARES) {
    pipe(my $job_r, my $job_w) or return 0;
    my $pid = fork;
    return 0 unless defined $pid;
    if ($pid == 0) {
      # Only the launcher may hold a spare's job pipe: its end is the spare's end.
      close $_->[2] for @spares;
      @spares = ();
      close $job_w;
      return spare($job_r);
    }
    close $job_r;
    push @spares, [ $pid, start_ticks($pid), $job_w ];
  }
  return 0;
}

# A spare supervisor: waits for its process directory, then supervises. Returns true only in
# its chain's process (see `chain`).
sub spare {
  my ($job) = @_;
  $0 = 'paddock-supervisor';
  syscall($setsid + 0);
  open(STDIN, '<', '/dev/null');
  open(STDOUT, '>', '/dev/null');
  # Terminal signals to the supervisor do not end it: the process it watches decides.
  $SIG{$_} = sub { } for qw(HUP INT TERM);
  pipe(my $woke_r, my $woke_w) or exit 0;
  $SIG{CHLD} = sub { syswrite($woke_w, 'x') };
  pipe(my $go_r, my $go_w) or exit 0;
  my $pid = fork;
  exit 0 unless defined $pid;
  if ($pid == 0) {
    $SIG{$_} = 'DEFAULT' for qw(HUP INT TERM CHLD);
    close $_ for $woke_r, $woke_w, $go_w, $job;
    syscall($setsid + 0);    # its own group: a timeout kills everything it started
    return chain($go_r);
  }
  close $go_r;
  # Idle until the job, or the end of the launcher (EOF) or of the chain (then of no use).
  my ($request, $rin) = ('', '');
  vec($rin, fileno($job), 1) = 1;
  vec($rin, fileno($woke_r), 1) = 1;
  while ($request !~ /\0.*\0/s) {
    my $rout = $rin;
    next if select($rout, undef, undef, undef) < 0;
    last if vec($rout, fileno($woke_r), 1);
    sysread($job, $request, 4096, length $request) or last;
  }
  if ($request !~ /\0.*\0/s) {
    # Its chain is told so by the end of its pipe, and reaped here (an orphan may stay a zombie).
    close $go_w;
    waitpid($pid, 0);
    exit 0;
  }
  close $job;
  my ($dir) = split /\0/, $request;
  $0 = "paddock-supervisor $dir";
  {
    local $SIG{PIPE} = 'IGNORE';    # a chain that died meanwhile: its status is recorded below
    syswrite($go_w, $request);
    close $go_w;
  }
  write_json($dir, 'chain.json', "{\"pid\":$pid}");
  my ($timeout_ms, $on_timeout) = eval { read_launch($dir) };
  my ($status, $timed_out) = wait_chain($pid, $timeout_ms // '', $on_timeout // [], $woke_r);
  my $signal = $status & 127;
  my $code = $signal ? 'null' : ($status >> 8);
  my $signal_json = $signal ? json_string('SIG' . signal_name($signal)) : 'null';
  my $timed = $timed_out ? 'true' : 'false';
  my $finished = json_string(now_iso());
  write_json($dir, 'exit.json',
    "{\"exitCode\":$code,\"signal\":$signal_json,\"timedOut\":$timed,\"finishedAt\":$finished}");
  exit 0;
}

# The process that runs a spare supervisor's chain: waits for the request, then runs it with its
# output in the process directory. Returns true when it runs this helper's words (@ARGV).
sub chain {
  my ($go) = @_;
  my $request = '';
  1 while sysread($go, $request, 4096, length $request);
  my ($dir, $in_process) = split /\0/, $request;
  exit 0 unless defined $in_process;    # the supervisor ended without a job
  $0 = 'paddock-chain';
  open(STDIN, '<', '/dev/null');
  open(STDOUT, '>>', "$dir/stdout") or exit 127;
  open(STDERR, '>>', "$dir/stderr") or exit 127;
  my (undef, undef, $env, $argv) = eval { read_launch($dir) };
  if (!$argv) { print STDERR "paddock-supervisor: $@"; exit 127 }
  %ENV = %$env;
  chdir '/';
  if ($in_process eq '1') {
    @ARGV = @$argv[ 2 .. $#$argv ];
    return 1;
  }
  exec { $argv->[0] } @$argv;
  print STDERR "cannot run $argv->[0]: $!\n";
  exit 127;
}

sub read_launch {
  my ($dir) = @_;
  open(my $in, '<:raw', "$dir/launch.nul") or die "cannot read $dir/launch.nul: $!\n";
  my $launch = do { local $/; <$in> };
  close $in;
  my @fields = split /\0/, $launch, -1;
  pop @fields;    # the empty field after the last NUL
  my $at = 0;
  my $next = sub { die "launch.nul is truncated\n" if $at > $#fields; return $fields[ $at++ ] };
  my $list = sub { my $n = $next->(); return map { $next->() } 1 .. $n };
  my $timeout_ms = $next->();
  my @on_timeout = $list->();
  my %env = map { split /=/, $_, 2 } $list->();
  my @argv = $list->();
  die "launch.nul has no command\n" unless @argv;
  return ($timeout_ms, \@on_timeout, \%env, \@argv);
}

# The chain's wait status, and whether its timeout ended it. With a deadline, the wait sleeps
# until the deadline or a child's end (a byte on `woke`), never polling.
sub wait_chain {
  my ($pid, $timeout_ms, $on_timeout, $woke) = @_;
  if ($timeout_ms eq '') {
    while (waitpid($pid, 0) != $pid) { return (255 << 8, 0) unless $! + 0 == 4 }    # EINTR
    return ($?, 0);
  }
  my $deadline = uptime() + $timeout_ms / 1000;
  my $rin = '';
  vec($rin, fileno($woke), 1) = 1;
  while (1) {
    # WNOHANG; a child ending after this check writes to `woke` before select sleeps.
    return ($?, 0) if waitpid($pid, 1) == $pid;
    my $left = $deadline - uptime();
    last if $left <= 0;
    my $rout = $rin;
    sysread($woke, my $drain, 64) if select($rout, undef, undef, $left) > 0;
  }
  system { $on_timeout->[0] } @$on_timeout if @$on_timeout;
  kill 'KILL', -$pid;
  while (waitpid($pid, 0) != $pid) { last unless $! + 0 == 4 }
  return ($?, 1);
}

sub start_ticks {
  my ($pid) = @_;
  open(my $fh, '<', "/proc/$pid/stat") or return 0;
  my $stat = <$fh>;
  close $fh;
  # Fields after the command name (which may hold spaces): state is the first, start time the 20th.
  my @rest = split ' ', substr($stat, rindex($stat, ')') + 2);
  return $rest[19];
}

sub signal_name {
  my ($number) = @_;
  require Config;    # only when a signal ended the chain: its compile is not paid otherwise
  my @names = split ' ', $Config::Config{sig_name};
  return $names[$number] // $number;
}

sub json_string {
  my ($text) = @_;
  $text =~ s/(["\\])/\\$1/g;
  $text =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord $1)/ge;
  return "\"$text\"";
}

sub write_json {
  my ($dir, $name, $json) = @_;
  my $temp = "$dir/.$name.tmp";
  open(my $out, '>', $temp) or die "cannot write $temp: $!\n";
  chmod 0600, $temp;
  print {$out} "$json\n";
  close $out or die "cannot write $temp: $!\n";
  rename $temp, "$dir/$name" or die "cannot rename $temp: $!\n";
}

sub now_iso {
  my ($s, $m, $h, $d, $mo, $y) = gmtime;
  return sprintf('%04d-%02d-%02dT%02d:%02d:%02d.000Z', $y + 1900, $mo + 1, $d, $h, $m, $s);
}

# Seconds since boot, to the hundredth: a clock that does not jump.
sub uptime {
  open(my $fh, '<', '/proc/uptime') or return time;
  my ($seconds) = split ' ', scalar <$fh>;
  close $fh;
  return $seconds;
}

1;
