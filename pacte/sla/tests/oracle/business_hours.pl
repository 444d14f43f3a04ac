#!/usr/bin/perl
# Due instants from Request Tracker's Business::Hours (Debian: libbusiness-hours-perl), for the oracle
# test and the benchmark. One process for every case of every calendar, so perl's start-up is not timed.
#
# Input (standard input, tab-separated lines), one block per calendar:
#   CALENDAR <name>                                        starts a block
#   TZ       <IANA zone>                                   the process's local time zone for this block
#   DAY      <0-6, 0 = Sunday> <HH:MM> <HH:MM> [<HH:MM> <HH:MM>]   opening hours, optional break
#   HOLIDAY  <YYYY-MM-DD>
#   CASE     <start, Unix seconds> <business seconds>
# Output, per block in order: "CALENDAR <name>", one line per case (the due instant in Unix seconds;
# -1 where Business::Hours gave up), then "TIME <seconds>" for that block's add_seconds loop alone.
use strict;
use warnings;
use POSIX qw(tzset);
use Time::HiRes qw(time);
use Business::Hours;

my @blocks;
while (my $line = <STDIN>) {
    chomp $line;
    my ($kind, @fields) = split /\t/, $line;
    next unless defined $kind;
    if ($kind eq 'CALENDAR') {
        push @blocks, { name => $fields[0], tz => 'UTC', days => {}, holidays => [], cases => [] };
        next;
    }
    die "a CALENDAR line must come first\n" unless @blocks;
    my $block = $blocks[-1];
    if ($kind eq 'TZ') {
        $block->{tz} = $fields[0];
    } elsif ($kind eq 'DAY') {
        my ($dow, $start, $end, $break_start, $break_end) = @fields;
        $block->{days}{$dow} = { Name => "day$dow", Start => $start, End => $end };
        $block->{days}{$dow}{Breaks} = [ { Start => $break_start, End => $break_end } ] if defined $break_end;
    } elsif ($kind eq 'HOLIDAY') {
        push @{ $block->{holidays} }, $fields[0];
    } elsif ($kind eq 'CASE') {
        push @{ $block->{cases} }, [ $fields[0], $fields[1] ];
    } else {
        die "unknown line kind $kind\n";
    }
}
for my $block (@blocks) {
    $ENV{TZ} = $block->{tz};
    tzset();
    my $hours = Business::Hours->new();
    $hours->business_hours(%{ $block->{days} });
    $hours->holidays(@{ $block->{holidays} });
    my @due;
    my $t0 = time;
    for my $case (@{ $block->{cases} }) {
        push @due, $hours->add_seconds($case->[0], $case->[1]);
    }
    my $elapsed = time - $t0;
    print "CALENDAR $block->{name}\n";
    print "$_\n" for @due;
    printf "TIME %.6f\n", $elapsed;
}
