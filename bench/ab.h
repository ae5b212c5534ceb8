/*
 * ab.h - `strand bench ab --a STRAND_A --b STRAND_B [SUITE...]`: the same suites on two strand
 * builds, interleaved run by run with the order alternating (A B, then B A), compared series
 * by series as in `bench compare`; while a series stays undecided, more rounds of its variant
 * are run (earlier samples kept) up to --max-reps. Exit status 1 on a regression. Main thread.
 */
#ifndef STRAND_BENCH_AB_H
#define STRAND_BENCH_AB_H

int ab_main(int argc, char **argv);

#endif
