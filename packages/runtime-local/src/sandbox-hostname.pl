# Renaming a running sandbox's host, done by the launcher (host-helper.pl `-z`, compiled there
# once) for a `hostname` request; sandbox-hostname.ts builds its words:
#
#   NUMBERS PID NAME COUNT (PATH TEXT)... prepare COUNT STEP...
#
# NUMBERS: the host's system call numbers (`name=nr,...`). PID not empty: the sandbox whose anchor
# it is takes NAME as its UTS name (set from here: the sandbox's own sethostname is refused by its
# seccomp filter); empty (gVisor's kernel keeps its name until its next start): no UTS name. Then
# COUNT files (the generated /etc/hostname and /etc/hosts, bound into the sandbox by inode) take
# their TEXT in place, and the steps (launch-prepare.pl: its state replaced) are done. Answers
# `ID ok`, `ID err MESSAGE` when the UTS name could not be set (nothing written then), or
# `ID errno ERRNO MESSAGE` for a file.
#
# As root the launcher does it in its own process, a few system calls: it joins the sandbox's UTS
# namespace for the sethostname and goes back to its own. A fork of the launcher costs more than
# all of that (copying its page tables, then a copy of each page it writes to: about 1 ms of CPU
# here), and a rename was two of them (a watcher and the helper it ran). Unprivileged, the rights
# over that namespace come from the sandbox's user namespace, which a process joins for good: one
# fork does it all and ends without perl's exit (its cleanup writes to pages it shares).
# No modules: the launcher pays for each at its start.

# In the launcher: renames (in a fork of it when it must join a user namespace) and answers.
sub rename_host {
  my ($id, @words) = @_;
  my ($numbers, $pid) = @words;
  my %nr = map { split /=/, $_, 2 } split /,/, $numbers;
  if ($> == 0 || $pid eq '') {
    answer($id, renamed(\%nr, @words));
    return;
  }
  my $watcher = fork;
  if (!defined $watcher) { answer($id, 'err', "fork: $!"); return }
  return if $watcher;
  $SIG{CHLD} = 'DEFAULT';
  answer($id, renamed(\%nr, @words));
  syscall($nr{exit_group} + 0, 0) if $nr{exit_group};
  exit 0;
}

# The rename of `words`: its answer's words (`ok`, `err MESSAGE`, `errno ERRNO MESSAGE`).
sub renamed {
  my ($nr, undef, $pid, $name, $count, @words) = @_;
  if ($pid ne '') {
    my $error = set_uts_name($nr, $pid, $name);
    return ('err', $error) if defined $error;
  }
  my @files = splice(@words, 0, 2 * $count);
  while (@files) {
    my ($path, $text) = splice(@files, 0, 2);
    my @failed = overwrite($path, 0644, $text);    # launch-prepare.pl
    return ('errno', @failed) if @failed;
  }
  my @failed = prepare_launch(\@words);
  return @failed ? ('errno', @failed) : ('ok');
}

# Sets the UTS name of the sandbox whose anchor is PID; nothing, or what failed. As root, from the
# sandbox's UTS namespace, then back in this process's own: a launcher that cannot go back ends
# (what it forks next must not start there); Paddock starts another. Unprivileged, from the
# sandbox's user namespace (Paddock's own, which holds the rights over its UTS namespace), for good.
sub set_uts_name {
  my ($nr, $pid, $name) = @_;
  sysopen(my $uts, "/proc/$pid/ns/uts", 0) or return "/proc/$pid/ns/uts: $!";
  my $own;
  if ($> == 0) {
    sysopen($own, '/proc/self/ns/uts', 0) or return "/proc/self/ns/uts: $!";
  } else {
    sysopen(my $user, "/proc/$pid/ns/user", 0) or return "/proc/$pid/ns/user: $!";
    syscall($nr->{setns} + 0, fileno($user), 0x10000000) != -1 or return "setns: $!";
  }
  syscall($nr->{setns} + 0, fileno($uts), 0x04000000) != -1 or return "setns: $!";
  # A copy: syscall() may write through a string argument.
  my $copy = "$name";
  my $error = syscall($nr->{sethostname} + 0, $copy, length $copy) == -1 ? "sethostname: $!" : undef;
  if ($own && syscall($nr->{setns} + 0, fileno($own), 0x04000000) == -1) {
    print STDERR "paddock-launcher: cannot go back to its UTS namespace: $!\n";
    syscall($nr->{exit_group} + 0, 1) if $nr->{exit_group};
    exit 1;
  }
  return $error;
}

1;
