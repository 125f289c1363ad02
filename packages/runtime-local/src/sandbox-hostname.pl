# Renaming a running sandbox's host, done by the launcher's watcher (host-helper.pl `-z`, compiled
# there once) for a `hostname` request; sandbox-hostname.ts builds its words:
#
#   NUMBERS PID NAME prepare COUNT STEP...
#
# NUMBERS: the host's system call numbers (`name=nr,...`). PID not empty: the sandbox whose anchor
# it is takes NAME as its UTS name (set from here: the sandbox's own sethostname is refused by its
# seccomp filter); empty (gVisor's kernel keeps its name until its next start): no UTS name. Then
# the steps (launch-prepare.pl): the generated /etc/hostname and /etc/hosts rewritten in place
# (bound into the sandbox by inode) and its state replaced. Answers `ID ok`, `ID err MESSAGE` when
# the UTS name could not be set (nothing written then), or `ID errno ERRNO MESSAGE` for a step.
#
# One fork of the launcher does it all and ends without perl's exit (its cleanup touches memory
# shared with the launcher, each page a copy): a rename was a watcher and a helper it forked.
# No modules: the launcher pays for each at its start.

# In a watcher: renames, answers and ends the watcher.
sub rename_host {
  my ($id, $numbers, $pid, $name, @steps) = @_;
  my %nr = map { split /=/, $_, 2 } split /,/, $numbers;
  my $error = $pid eq '' ? undef : set_uts_name(\%nr, $pid, $name);
  my @failed = defined $error ? () : prepare_launch(\@steps);
  if (defined $error) { answer($id, 'err', $error) }
  elsif (@failed) { answer($id, 'errno', @failed) }
  else { answer($id, 'ok') }
  syscall($nr{exit_group} + 0, 0);
  exit 0;
}

# Joins the UTS namespace of the sandbox whose anchor is PID (unprivileged, its user namespace
# first: Paddock's own, which holds the rights over it) and sets its name; nothing, or what failed.
sub set_uts_name {
  my ($nr, $pid, $name) = @_;
  sysopen(my $uts, "/proc/$pid/ns/uts", 0) or return "/proc/$pid/ns/uts: $!";
  if ($> != 0) {
    sysopen(my $user, "/proc/$pid/ns/user", 0) or return "/proc/$pid/ns/user: $!";
    syscall($nr->{setns} + 0, fileno($user), 0x10000000) != -1 or return "setns: $!";
  }
  syscall($nr->{setns} + 0, fileno($uts), 0x04000000) != -1 or return "setns: $!";
  # A copy: syscall() may write through a string argument.
  my $copy = "$name";
  syscall($nr->{sethostname} + 0, $copy, length $copy) != -1 or return "sethostname: $!";
  return undef;
}

1;
