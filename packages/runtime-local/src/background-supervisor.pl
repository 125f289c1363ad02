#!/usr/bin/perl
# The supervisor of one background process: a small detached program (Perl, from Debian's
# essential perl-base: about 5 MB resident where a Node.js one took about 80), so the process
# outlives the Paddock instance that started it. It runs the host chain recorded in
# <dir>/launch.nul with its output appended to <dir>/stdout and <dir>/stderr, enforces the
# timeout, and writes the exit status to <dir>/exit.json (atomically) when it ends.
#
# launch.nul holds NUL-terminated fields: the timeout in milliseconds (empty: none), then three
# counted lists: the on-timeout argv, the environment (NAME=value), the argv to run.
#
# Usage: perl background-supervisor.pl <process dir>
use strict;
use warnings;
use Config;
use POSIX ();

my $dir = shift @ARGV;
die "usage: background-supervisor.pl <process dir>\n" unless defined $dir;

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

my @signal_names = split ' ', $Config{sig_name};

sub json_string {
    my ($text) = @_;
    $text =~ s/(["\\])/\\$1/g;
    $text =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord $1)/ge;
    return "\"$text\"";
}

sub write_json {
    my ($name, $json) = @_;
    my $temp = "$dir/.$name.tmp";
    open(my $out, '>', $temp) or die "cannot write $temp: $!\n";
    chmod 0600, $temp;
    print {$out} "$json\n";
    close $out or die "cannot write $temp: $!\n";
    rename $temp, "$dir/$name" or die "cannot rename $temp: $!\n";
}

sub now_iso {
    return POSIX::strftime('%Y-%m-%dT%H:%M:%S.000Z', gmtime);
}

# Seconds since boot, to the hundredth: a clock that does not jump.
sub uptime {
    open(my $fh, '<', '/proc/uptime') or return time;
    my ($seconds) = split ' ', scalar <$fh>;
    close $fh;
    return $seconds;
}

# Terminal signals to the supervisor do not end it: the process it watches decides.
$SIG{$_} = sub { } for qw(HUP INT TERM);

my $pid = fork;
die "fork: $!\n" unless defined $pid;
if ($pid == 0) {
    $SIG{$_} = 'DEFAULT' for qw(HUP INT TERM);
    POSIX::setsid();
    open(STDIN, '<', '/dev/null');
    open(STDOUT, '>>', "$dir/stdout") or POSIX::_exit(127);
    open(STDERR, '>>', "$dir/stderr") or POSIX::_exit(127);
    %ENV = %env;
    chdir '/';
    { no warnings 'exec'; exec { $argv[0] } @argv; }
    print STDERR "cannot run $argv[0]: $!\n";
    POSIX::_exit(127);
}
write_json('chain.json', "{\"pid\":$pid}");

my $timed_out = 0;
my $status;
if ($timeout_ms ne '') {
    my $deadline = uptime() + $timeout_ms / 1000;
    while (1) {
        my $done = waitpid($pid, POSIX::WNOHANG());
        if ($done == $pid) { $status = $?; last }
        if (uptime() >= $deadline) {
            $timed_out = 1;
            system { $on_timeout[0] } @on_timeout if @on_timeout;
            kill 'KILL', -$pid;
            waitpid($pid, 0);
            $status = $?;
            last;
        }
        select(undef, undef, undef, 0.01);
    }
}
else {
    while (waitpid($pid, 0) == -1) {
        next if $!{EINTR};
        last;
    }
    $status = $?;
}

my $signal = $status & 127;
my $code = $signal ? 'null' : ($status >> 8);
my $signal_json = $signal ? json_string('SIG' . ($signal_names[$signal] // $signal)) : 'null';
my $timed = $timed_out ? 'true' : 'false';
my $finished = json_string(now_iso());
write_json('exit.json',
    "{\"exitCode\":$code,\"signal\":$signal_json,\"timedOut\":$timed,\"finishedAt\":$finished}");
