# Renaming a running sandbox's host, done by the launcher's watcher (host-helper.pl `-z`, compiled
# there once) for a `hostname` request; sandbox-hostname.ts builds its words:
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
# One fork of the launcher does it all and ends without perl's exit (its cleanup touches memory
# shared with the launcher, each page a copy): a rename was a watcher and a helper it forked.
# No modules: the launcher pays for each at its start.

# In a watcher: renames, answers and ends the watcher.
sub rename_host {
  my ($id, $numbers, $pid, $name, $count, @words) = @_;
  my %nr = map { split /=/, $_, 2 } split /,/, $numbers;
  my $error = $pid eq '' ? undef : set_uts_name(\%nr, $pid, $name);
  my @failed;
  if (!defined $error) {
    my @files = splice(@words, 0, 2 * $count);
    while (@files && !@failed) { @failed = overwrite(splice(@files, 0, 2)) }
    @failed = prepare_launch(\@words) unless @failed;
  }
  if (defined $error) { answer($id, 'err', $error) }
  elsif (@failed) { answer($id, 'errno', @failed) }
  else { answer($id, 'ok') }
  syscall($nr{exit_group} + 0, 0);
  exit 0;
}

# Writes TEXT over PATH's start, then cuts it there: its inode and its block are kept (truncating
# it to nothing first frees the block, which ext4 mounted with `discard` pays for at once, and
# flushes the file when it is closed). Nothing, or errno and message.
sub overwrite {
  my ($path, $text) = @_;
  sysopen(my $fh, $path, 01 | 0100, 0644) or return (0 + $!, "$path: $!");    # O_WRONLY | O_CREAT
  my $written = syswrite($fh, $text);
  return (0 + $! || 5, "$path: $!") unless defined $written && $written == length $text;
  truncate($fh, length $text) or return (0 + $!, "$path: $!");
  close $fh or return (0 + $!, "$path: $!");
  return ();
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
