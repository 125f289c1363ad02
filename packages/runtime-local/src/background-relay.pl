# The relay of a background process's output (see host-helper.pl's `-s`), loaded by its chain
# only: the chain forks it while it waits for its job, and hands it the job's directory.
# No `use strict`: see host-helper.pl.

our ($relay_ctl, $relay_ack);
my ($relay_out, $relay_err);

# A background process's output goes through pipes, as an exec's does (its command may reopen
# them as /dev/stdout, where reopening a file would truncate it), to a relay that appends it to
# DIR's `stdout` and `stderr` (0600). The relay is forked while the chain waits for its job (off
# the process's path), is no child of the chain and leaves its group (a timeout's kill is not for
# it); it ends once every writer has (the command's own children may write on after it), or at
# once when the chain ends without handing it a directory. REQUEST: the chain's request descriptor.
sub relay_ahead {
  my ($request) = @_;
  my @pipes = map { pipe(my $r, my $w) or exit 127; ($r, $w) } 1 .. 4;
  my ($out_r, $out_w, $err_r, $err_w, $ctl_r, $ctl_w, $ack_r, $ack_w) = @pipes;
  my $relay = fork;
  exit 127 unless defined $relay;
  if ($relay) {
    waitpid($relay, 0);
    close $_ for $out_r, $err_r, $ctl_r, $ack_w;
    ($relay_ctl, $relay_ack, $relay_out, $relay_err) = ($ctl_w, $ack_r, $out_w, $err_w);
    return;
  }
  close $_ for $out_w, $err_w, $ctl_w, $ack_r;
  my $again = fork;
  exit 0 if !defined $again || $again;
  setpgrp(0, 0);
  $0 = 'paddock-relay';
  $SIG{PIPE} = 'IGNORE';    # a chain killed before its answer leaves the relay to go on
  # The request descriptor is the chain's alone (a `my` is seen only from the next statement on).
  if (open(my $job, '<&=', $request)) { close $job }
  open(STDIN, '<', '/dev/null');
  open(STDOUT, '>', '/dev/null');
  open(STDERR, '>', '/dev/null');
  my $said = '';
  while ($said !~ /\0/) { sysread($ctl_r, $said, 4096, length $said) or exit 0 }
  # A command that ended at once: its chain's drain request may have come with the directory.
  my ($dir, $then) = split /\0/, $said, 2;
  my $is_drain_due = length $then;
  # O_WRONLY | O_APPEND | O_CREAT, private.
  sysopen(my $out, "$dir/stdout", 01 | 02000 | 0100, 0600) or exit 127;
  sysopen(my $err, "$dir/stderr", 01 | 02000 | 0100, 0600) or exit 127;
  my %to = (fileno($out_r) => $out, fileno($err_r) => $err);
  my %from = (fileno($out_r) => $out_r, fileno($err_r) => $err_r);
  # Copies what one pipe holds; false at its end.
  my $copy = sub {
    my $fd = shift;
    my $n = sysread($from{$fd}, my $chunk, 65536);
    return 1 if !defined $n;    # EAGAIN: drained
    return 0 if $n == 0;
    syswrite($to{$fd}, $chunk);
    return 2;
  };
  while (%from) {
    my $rout = '';
    if (!$is_drain_due) {
      my $rin = '';
      vec($rin, $_, 1) = 1 for keys %from;
      vec($rin, fileno($ctl_r), 1) = 1 if $ctl_r;
      $rout = $rin;
      next if select($rout, undef, undef, undef) < 0;
    }
    if ($ctl_r && ($is_drain_due || vec($rout, fileno($ctl_r), 1))) {
      $is_drain_due = 0;
      # The command has ended (or the chain died): all it wrote is in the pipes, copied now.
      for my $fd (keys %from) {
        fcntl($from{$fd}, 4, 04000);    # F_SETFL: O_NONBLOCK
        my $more;
        while (($more = $copy->($fd)) == 2) { }
        delete $from{$fd} unless $more;
      }
      syswrite($ack_w, 'x');
      close $_ for $ctl_r, $ack_w;
      undef $ctl_r;
      next;
    }
    for my $fd (keys %from) {
      delete $from{$fd} if vec($rout, $fd, 1) && !$copy->($fd);
    }
  }
  exit 0;
}

# The job's directory to the relay; the pipes to it become the chain's stdout and stderr.
sub relay_output {
  my ($dir) = @_;
  syswrite($relay_ctl, "$dir\0");
  open(STDOUT, '>&', $relay_out) or exit 127;
  open(STDERR, '>&', $relay_err) or exit 127;
  close $_ for $relay_out, $relay_err;
}

# No relay for this job: it ends.
sub relay_cancel {
  close $_ for $relay_ctl, $relay_ack, $relay_out, $relay_err;
  undef $relay_ctl;
}

# Once the command has ended: waits until the relay has copied what it wrote.
sub relay_drained {
  return unless $relay_ctl;
  syswrite($relay_ctl, 'x');
  sysread($relay_ack, my $done, 1);
  close $_ for $relay_ctl, $relay_ack;
  undef $relay_ctl;
}

1;
