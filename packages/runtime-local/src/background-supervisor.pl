# The supervisors of background processes, kept ready by the launcher (`host-helper.pl -z`, see
# launcher.ts), which loads this file once. A spare supervisor is a fork of the launcher that has
# left its session and every descriptor of the launcher's (so the process it runs outlives the
# launcher and the Paddock instance that started it, and holds nothing of theirs) with its chain
# already started: `host-helper.pl -s`, compiled and waiting on a pipe like the exec helpers of
# helper-pool.ts. A `supervise` request hands the process to a spare and its chain at once (a
# spare is forked again a moment later, off the process's path), so neither a fork nor a perl
# start is on it, where starting a supervisor of its own took a fork of Node and two perl starts
# (about 30 ms). The chain runs the host chain with its output appended to <dir>/stdout and
# <dir>/stderr; the supervisor enforces the timeout recorded in <dir>/launch.nul and writes the
# exit status to <dir>/exit.json (atomically) when the chain ends.
#
# launch.nul holds NUL-terminated fields: the timeout in milliseconds (empty: none), then three
# counted lists: the on-timeout argv, the environment (NAME=value), the argv to run.
#
# Request words: NUMBERS DIR INPROCESS WORD... INPROCESS 1: the WORDs are the host helper's own
# (what follows `perl host-helper.pl`), run by the chain itself; 0: an argv the chain execs.
# Answer: `ID ok PID START-TICKS` (the supervisor's identity, as /proc/PID/stat has it), or
# `ID err MESSAGE`.
# No `use strict`: see host-helper.pl (the launcher's start is on a sandbox start's path).

my $SPARES = 2;
my @spares;    # [pid, start ticks, job pipe, go pipe] of each waiting supervisor
my ($setsid, $close);    # the system calls' numbers, from the first request
my $refill_at = 0;    # when to fork the spares it lacks (uptime, seconds)
my $HELPER = __FILE__ =~ s{[^/]*$}{host-helper.pl}r;

# In the launcher: hands the request to a spare supervisor (DIR) and to its chain (DIR,
# INPROCESS, the chain's words), and answers for it; forks a spare first only when none is left.
sub supervise_request {
  my ($id, $numbers, $dir, $in_process, @words) = @_;
  ($setsid) = $numbers =~ /(?:^|,)setsid=(\d+)/;
  ($close) = $numbers =~ /(?:^|,)close=(\d+)/;
  my $handed;
  # A spare that died fails the write (EPIPE): the next one, forked anew once none is left.
  for (1 .. 2 * $SPARES + 1) {
    last if $handed;
    fork_spares(1) unless @spares;
    my $spare = shift @spares or last;
    my ($pid, $ticks, $job, $go) = @$spare;
    local $SIG{PIPE} = 'IGNORE';
    # A chain that died after its supervisor took the job is reaped and recorded by it.
    $handed = syswrite($job, "$dir\0") && [ $pid, $ticks ];
    syswrite($go, join('', map { "$_\0" } $dir, $in_process, scalar(@words), @words)) if $handed;
    close $_ for $job, $go;
  }
  $refill_at = uptime() + 0.02;
  if ($handed) { answer($id, 'ok', @$handed) }
  else { answer($id, 'err', "no supervisor could start: $!") }
}

# How long the launcher lets a process it just handed over start before it forks the spares it
# lacks (see next_request), in seconds; undef when it lacks none.
sub spares_due {
  return undef unless defined $setsid && @spares < $SPARES;
  my $left = $refill_at - uptime();
  return $left > 0 ? $left : 0;
}

# Forks spares up to `want` (all of them by default).
sub fork_spares {
  my $want = shift // $SPARES;
  while (@spares < $want) {
    pipe(my $job_r, my $job_w) or return;
    pipe(my $go_r, my $go_w) or return;
    my $pid = fork;
    return unless defined $pid;
    if ($pid == 0) {
      # Only the launcher may hold a spare's pipes: their end is the spare's end.
      close $_ for map { @$_[ 2, 3 ] } @spares;
      @spares = ();
      close $_ for $job_w, $go_w;
      spare($job_r, $go_r);
    }
    close $_ for $job_r, $go_r;
    push @spares, [ $pid, start_ticks($pid), $job_w, $go_w ];
  }
}

# A spare supervisor: starts its chain (`host-helper.pl -s`: a perl of its own, compiled while
# it waits, not a fork sharing the launcher's pages), waits for its process directory, then
# supervises. Never returns.
sub spare {
  my ($job, $go) = @_;
  $0 = 'paddock-supervisor';
  syscall($setsid + 0);
  open(STDIN, '<', '/dev/null');
  open(STDOUT, '>', '/dev/null');
  open(STDERR, '>', '/dev/null');
  close_all_but($job, $go);
  # Terminal signals to the supervisor do not end it: the process it watches decides.
  $SIG{$_} = sub { } for qw(HUP INT TERM);
  pipe(my $woke_r, my $woke_w) or exit 0;
  $SIG{CHLD} = sub { syswrite($woke_w, 'x') };
  my $pid = fork;
  exit 0 unless defined $pid;
  if ($pid == 0) {
    $SIG{$_} = 'DEFAULT' for qw(HUP INT TERM CHLD);
    close $_ for $woke_r, $woke_w, $job;
    syscall($setsid + 0);    # its own group: a timeout kills everything it started
    fcntl($go, 2, 0);        # F_SETFD: open across exec
    exec { $^X } $^X, $HELPER, '-s', fileno($go);
    exit 127;
  }
  close $go;
  # Idle until the job, or the end of the launcher (EOF) or of the chain (then of no use).
  my ($request, $rin) = ('', '');
  vec($rin, fileno($job), 1) = 1;
  vec($rin, fileno($woke_r), 1) = 1;
  while ($request !~ /\0/) {
    my $rout = $rin;
    next if select($rout, undef, undef, undef) < 0;
    last if vec($rout, fileno($woke_r), 1);
    sysread($job, $request, 4096, length $request) or last;
  }
  if ($request !~ /\0/) {
    # Its idle chain is ended and reaped here (an orphan may stay a zombie).
    kill 'KILL', $pid;
    waitpid($pid, 0);
    exit 0;
  }
  close $job;
  my ($dir) = split /\0/, $request;
  $0 = "paddock-supervisor $dir";
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

# Closes every descriptor but 0 to 2 and those of HANDLES. A supervisor, its chain and its relay
# outlive the launcher and Paddock: a descriptor Paddock inherited without close-on-exec (a pipe
# of what started it, which waits for that pipe's end: a test harness, `$(paddock up)`) would
# keep that waiting as long as they run.
sub close_all_but {
  return unless defined $close;    # syscall(undef) would be the call numbered 0
  my %kept = map { $_ => 1 } 0, 1, 2, map { fileno $_ } @_;
  opendir(my $fds, '/proc/self/fd') or return;
  my @open = grep { /^\d+$/ && !$kept{$_} } readdir $fds;
  my $own = fileno $fds;
  closedir $fds;
  for my $fd (@open) { syscall($close + 0, $fd + 0) if $fd != $own }
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
  # The command inside leads a group of its own (host-helper.pl's enter): that group first,
  # then the chain's; a child not yet in its own group is in the chain's.
  for my $child (children_of($pid)) { kill 'KILL', -$child or kill 'KILL', $child }
  kill 'KILL', -$pid;
  while (waitpid($pid, 0) != $pid) { last unless $! + 0 == 4 }
  return ($?, 1);
}

sub children_of {
  my ($pid) = @_;
  open(my $fh, '<', "/proc/$pid/task/$pid/children") or return ();
  my @children = split ' ', (<$fh> // '');
  close $fh;
  return @children;
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
