# The file work of a sandbox start, done by the launcher's watcher (host-helper.pl `-z`, compiled
# there once) right before it forks the launch: what Paddock did with a dozen round trips through
# Node's thread pool (each a wake of its event loop) is a few system calls here, off Paddock's
# event loop. The steps come first in a `launch` request's words (launch-steps.ts builds them):
#
#   prepare COUNT STEP...    COUNT words of steps, in order, each an operation and its words:
#   mkdir MODE OWNER PATH    a directory (octal MODE, under the umask), kept if it exists; OWNER
#                            (a uid, also the gid) owns it when not empty
#   write MODE PATH TEXT     a file made, or written over in place and cut to length (`overwrite`:
#                            its inode kept, so a bound file stays bound) with TEXT
#   replace PATH TEXT        a file replaced at once (written beside it, 0600, then renamed)
#   set PATH VALUE ALT       a control file (a cgroup's) written; when refused and ALT is not
#                            empty, ALT is written first (a memory+swap limit), then PATH again
#   touch MODE SECONDS PATH  a file made (empty) if missing, its times set to SECONDS since 1970
#
# No modules: the launcher pays for each at its start.

# Runs the steps at the head of @$words (`prepare COUNT ...`, removed from it); returns nothing,
# or the errno and message of the step that failed (nothing after it ran).
sub prepare_launch {
  my ($words) = @_;
  return () unless @$words > 1 && $words->[0] eq 'prepare';
  my (undef, $count) = splice(@$words, 0, 2);
  my @steps = splice(@$words, 0, $count);
  while (@steps) {
    my $op = shift @steps;
    if ($op eq 'mkdir') {
      my ($mode, $owner, $path) = splice(@steps, 0, 3);
      mkdir($path, oct $mode) or $! + 0 == 17 or return (0 + $!, "mkdir $path: $!");    # EEXIST
      next if $owner eq '';
      chown($owner + 0, $owner + 0, $path) or return (0 + $!, "chown $path: $!");
    } elsif ($op eq 'write') {
      my ($mode, $path, $text) = splice(@steps, 0, 3);
      my @failed = overwrite($path, oct $mode, $text);
      return @failed if @failed;
    } elsif ($op eq 'replace') {
      my ($path, $text) = splice(@steps, 0, 2);
      my $temp = "$path.$$.tmp";
      my @failed = put($temp, 01 | 0100 | 01000, 0600, $text);
      return @failed if @failed;
      rename($temp, $path) or return (0 + $!, "rename $temp: $!");
    } elsif ($op eq 'set') {
      my ($path, $value, $alt) = splice(@steps, 0, 3);
      # O_WRONLY | O_TRUNC: never made, as a control file is the kernel's
      my @failed = put($path, 01 | 01000, 0, $value);
      next unless @failed;
      return @failed if $alt eq '';
      @failed = put($alt, 01 | 01000, 0, $value);
      @failed = put($path, 01 | 01000, 0, $value) unless @failed;
      return @failed if @failed;
    } elsif ($op eq 'touch') {
      my ($mode, $seconds, $path) = splice(@steps, 0, 3);
      my @failed = put($path, 01 | 0100, oct $mode, '');    # O_WRONLY | O_CREAT
      return @failed if @failed;
      utime($seconds + 0, $seconds + 0, $path) or return (0 + $!, "utime $path: $!");
    } else {
      return (22, "unknown prepare step $op");    # EINVAL
    }
  }
  return ();
}

# Writes TEXT over PATH's start (made with MODE if missing), then cuts it there: its inode and its
# block are kept (truncating it to nothing first frees the block, which ext4 mounted with `discard`
# pays for at once, and flushes the file when it is closed). Nothing, or errno and message. A
# start's generated /etc files and a rename's (sandbox-hostname.pl) are written so.
sub overwrite {
  my ($path, $mode, $text) = @_;
  sysopen(my $fh, $path, 01 | 0100, $mode) or return (0 + $!, "$path: $!");    # O_WRONLY | O_CREAT
  my $written = syswrite($fh, $text);
  return (0 + $! || 5, "$path: $!") unless defined $written && $written == length $text;
  truncate($fh, length $text) or return (0 + $!, "$path: $!");
  close $fh or return (0 + $!, "$path: $!");
  return ();
}

# Writes TEXT to PATH opened with FLAGS (and MODE when it is made); nothing, or errno and message.
sub put {
  my ($path, $flags, $mode, $text) = @_;
  sysopen(my $fh, $path, $flags, $mode) or return (0 + $!, "$path: $!");
  my $written = syswrite($fh, $text);
  my @failed = defined $written && $written == length $text ? () : (0 + $! || 5, "$path: $!");
  close $fh or @failed or @failed = (0 + $!, "$path: $!");
  return @failed;
}

1;
