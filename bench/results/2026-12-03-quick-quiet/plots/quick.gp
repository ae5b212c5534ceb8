# strand bench: suite quick (gnuplot quick.gp, run in this directory)
set terminal pngcairo size 1280,4200 font "sans,9"
set output "quick.png"
set multiplot layout 10,2 title "strand bench: quick" noenhanced
set grid ytics
set bmargin 6
set title "Big lock or per-device locks\n2 vCPUs, each exit 100 us in its own device's handler (mmio-storm work_ns=100000)\nMMIO exits per second, all vCPUs together (k/s, higher is better)" noenhanced
set ylabel "k/s" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:1.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_big-lock_device-locks_exits_per_s.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "Where I/O runs\nvCPU 0's MMIO exits while vCPU 1 keeps 32 virtio-blk reads in flight (mmio-storm io=1, null disk, 2 vCPUs)\nMMIO exit latency of vCPU 0, p99 (us, lower is better)" noenhanced
set ylabel "us" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:3.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_io-beside_io_vcpu_exit_p99.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "Where I/O runs\nvCPU 0's MMIO exits while vCPU 1 keeps 32 virtio-blk reads in flight (mmio-storm io=1, null disk, 2 vCPUs)\nCDF of every raw sample (exit_p99)" noenhanced
set ylabel "fraction"
set xlabel "us (log scale)"
set logscale x
set format x "%g"
unset logscale y
set xtics norotate
set yrange [0:1]
set xrange [*:*]
set key bottom right noenhanced
plot "data/quick_io-beside_io_vcpu_exit_p99.cdf.dat" using 1:2 with lines lw 2 title "io=vcpu", "data/quick_io-beside_io_main_exit_p99.cdf.dat" using 1:2 with lines lw 2 title "io=main", "data/quick_io-beside_io_iothread_exit_p99.cdf.dat" using 1:2 with lines lw 2 title "io=iothread", "data/quick_io-beside_io_iothread_lock_big_exit_p99.cdf.dat" using 1:2 with lines lw 2 title "io=iothread,lock=big"
set title "Where I/O runs\nvirtio-blk 4 KiB random reads at QD 1 on 2 queues, one per vCPU (blk-io, null disk, 2 vCPUs)\n4 KiB random reads (k/s, higher is better)" noenhanced
set ylabel "k/s" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:2.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_io-qd1_io_vcpu_iops.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "Map lock under churn\n1 vCPU(s) (a CPU left for the churn thread) dispatching MMIO while a host thread replaces the tables 10000 times a second\nMMIO exit latency, p99 of every vCPU's exits (us, lower is better)" noenhanced
set ylabel "us" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:2.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_map-churn_map_rcu_exit_p99.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "Map lock under churn\n1 vCPU(s) (a CPU left for the churn thread) dispatching MMIO while a host thread replaces the tables 10000 times a second\nCDF of every raw sample (exit_p99)" noenhanced
set ylabel "fraction"
set xlabel "us (log scale)"
set logscale x
set format x "%g"
unset logscale y
set xtics norotate
set yrange [0:1]
set xrange [*:*]
set key bottom right noenhanced
plot "data/quick_map-churn_map_rcu_exit_p99.cdf.dat" using 1:2 with lines lw 2 title "map=rcu", "data/quick_map-churn_map_rwlock_exit_p99.cdf.dat" using 1:2 with lines lw 2 title "map=rwlock", "data/quick_map-churn_map_mutex_exit_p99.cdf.dat" using 1:2 with lines lw 2 title "map=mutex"
set title "Strategies at 2x overcommit\n2 VMs x 2 vCPUs on 2 CPUs, contended spinlock (smp-spin)\nspinlock acquisitions, both VMs together (k/s, higher is better)" noenhanced
set ylabel "k/s" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:3.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_spin_host_acquisitions.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "Strategies at 2x overcommit\n2 VMs x 2 vCPUs on 2 CPUs, 100 phases of 500 us between barriers (barrier-sync)\nbarrier phase time (vCPU 0 of each VM), mean (us, lower is better)" noenhanced
set ylabel "us" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:3.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_barrier_host_phase_mean.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "Strategies at 2x overcommit\n2 VMs x 2 vCPUs on 2 CPUs, 100 phases of 500 us between barriers (barrier-sync)\nCDF of every raw sample (phase_mean)" noenhanced
set ylabel "fraction"
set xlabel "us (log scale)"
set logscale x
set format x "%g"
unset logscale y
set xtics norotate
set yrange [0:1]
set xrange [*:*]
set key bottom right noenhanced
plot "data/quick_barrier_host_phase_mean.cdf.dat" using 1:2 with lines lw 2 title "host", "data/quick_barrier_gang_phase_mean.cdf.dat" using 1:2 with lines lw 2 title "gang", "data/quick_barrier_fifo_phase_mean.cdf.dat" using 1:2 with lines lw 2 title "fifo", "data/quick_barrier_credit_phase_mean.cdf.dat" using 1:2 with lines lw 2 title "credit"
set title "credit, weights 1:3, 2 VMs x 2 vCPUs of cpu-burn for 2 s\nshares of the host (targets 0.25, 0.75)\nVM 0's share of the host's CPU time (pp, higher is better)" noenhanced
set ylabel "pp" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:0.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_credit-weights_weights_1_3_vm0_share.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "credit, weights 1:3, 2 VMs x 2 vCPUs of cpu-burn for 2 s\nshares of the host (targets 0.25, 0.75)\nVM 1's share of the host's CPU time (pp, higher is better)" noenhanced
set ylabel "pp" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:0.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_credit-weights_weights_1_3_vm1_share.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "credit, weights 1:3, 2 VMs x 2 vCPUs of cpu-burn for 2 s\nshares of the host (targets 0.25, 0.75)\nCPU share of each VM (median) and its target" noenhanced
set ylabel "share of the host's CPU time"
unset logscale x
unset logscale y
set xlabel ""
set xtics rotate by -45 noenhanced font ",7"
set yrange [0:*]
set xrange [-0.6:2.6]
set style fill solid 0.5 border -1
set boxwidth 0.8
set key top right
plot "data/quick_credit-weights_weights_1_3_share_dev.shares.dat" using 1:3:xtic(2) with boxes lc rgb "#228833" title "measured", "" using 1:4 with points pt 7 ps 1 lc rgb "#cc3311" title "target"
set xtics font ",9"
set title "credit, VM 0 capped at 50% of one CPU (a quarter of the host) beside an uncapped VM, 2 VMs x 2 vCPUs of cpu-burn for 2 s (target\nVM 0 at 0.25)\nVM 0's share of the host's CPU time (pp, higher is better)" noenhanced
set ylabel "pp" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:0.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_credit-cap_vm0-cap_50_vm0_share.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "credit, VM 0 capped at 50% of one CPU (a quarter of the host) beside an uncapped VM, 2 VMs x 2 vCPUs of cpu-burn for 2 s (target\nVM 0 at 0.25)\nVM 1's share of the host's CPU time (pp, higher is better)" noenhanced
set ylabel "pp" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:0.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_credit-cap_vm0-cap_50_vm1_share.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "credit, VM 0 capped at 50% of one CPU (a quarter of the host) beside an uncapped VM, 2 VMs x 2 vCPUs of cpu-burn for 2 s (target\nVM 0 at 0.25)\nCPU share of each VM (median) and its target" noenhanced
set ylabel "share of the host's CPU time"
unset logscale x
unset logscale y
set xlabel ""
set xtics rotate by -45 noenhanced font ",7"
set yrange [0:*]
set xrange [-0.6:2.6]
set style fill solid 0.5 border -1
set boxwidth 0.8
set key top right
plot "data/quick_credit-cap_vm0-cap_50_share_dev.shares.dat" using 1:3:xtic(2) with boxes lc rgb "#228833" title "measured", "" using 1:4 with points pt 7 ps 1 lc rgb "#cc3311" title "target"
set xtics font ",9"
set title "Placement of one VM's 2 vCPUs sharing a spinlock\ncompact or scatter (smp-spin; run where the host has more than one core)\nspinlock acquisitions, both vCPUs (k/s, higher is better)" noenhanced
set ylabel "k/s" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:1.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_placement_compact_acquisitions.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set label "host" at 0, graph 0.97 left offset 0.3,0 noenhanced font ",8"
set arrow from 0.996241, graph 0 to 0.996241, graph 1 nohead dt 2 lc rgb "#666666"
set label "gang" at 0.996241, graph 0.97 left offset 0.3,0 noenhanced font ",8"
set object rect from 0.996241, graph 0 to 1.99621, graph 1 behind fc rgb "#e8eef8" fs solid 1.0 noborder
set arrow from 1.99621, graph 0 to 1.99621, graph 1 nohead dt 2 lc rgb "#666666"
set label "host" at 1.99621, graph 0.97 left offset 0.3,0 noenhanced font ",8"
set arrow from 3.00006, graph 0 to 3.00006, graph 1 nohead dt 2 lc rgb "#666666"
set label "gang" at 3.00006, graph 0.97 left offset 0.3,0 noenhanced font ",8"
set object rect from 3.00006, graph 0 to 4.0002, graph 1 behind fc rgb "#e8eef8" fs solid 1.0 noborder
set title "Live switch\n2 VMs x 2 vCPUs of smp-spin (2x overcommit) started under host, switched host <-> gang every second over QMP (4 phases)\ntime series per run, switch points dashed, gang phases shaded" noenhanced
set ylabel "rate (k/s)" noenhanced
set xlabel "time since the first sample (s)"
unset logscale x
unset logscale y
set format x "%g"
set format y "%g"
set xtics norotate
set yrange [0:*]
set xrange [0:4.0002]
set offsets 0, 0, graph 0.1, 0
set key below horizontal noenhanced
plot "data/quick_live-switch_2x-overcommit_host.trace0.dat" using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 title "run 1", "data/quick_live-switch_2x-overcommit_host.trace1.dat" using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 title "run 2", "data/quick_live-switch_2x-overcommit_host.trace2.dat" using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 title "run 3", "data/quick_live-switch_2x-overcommit_host.trace3.dat" using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 title "run 4", "data/quick_live-switch_2x-overcommit_host.trace4.dat" using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 title "run 5", "data/quick_live-switch_2x-overcommit_host.trace5.dat" using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 title "run 6", "data/quick_live-switch_2x-overcommit_host.trace6.dat" using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 title "run 7", "data/quick_live-switch_2x-overcommit_host.trace7.dat" using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 title "run 8"
unset arrow
unset label
unset object
set offsets 0, 0, 0, 0
set key default
set title "Live switch\n2 VMs x 2 vCPUs of smp-spin (2x overcommit) started under host, switched host <-> gang every second over QMP (4 phases)\nsmp-spin acquisitions/s in the host phases (mean of the 200 ms samples) (k/s, higher is better)" noenhanced
set ylabel "k/s" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:0.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_live-switch_2x-overcommit_host.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "Live switch\n2 VMs x 2 vCPUs of smp-spin (2x overcommit) started under host, switched host <-> gang every second over QMP (4 phases)\nsmp-spin acquisitions/s in the gang phases of the same runs (k/s, higher is better)" noenhanced
set ylabel "k/s" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:0.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_live-switch_2x-overcommit_gang.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0

unset multiplot
unset output
set terminal svg size 1280,4200 dynamic font "sans,9"
set output "quick.svg"
set multiplot layout 10,2 title "strand bench: quick" noenhanced
set grid ytics
set bmargin 6
set title "Big lock or per-device locks\n2 vCPUs, each exit 100 us in its own device's handler (mmio-storm work_ns=100000)\nMMIO exits per second, all vCPUs together (k/s, higher is better)" noenhanced
set ylabel "k/s" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:1.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_big-lock_device-locks_exits_per_s.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "Where I/O runs\nvCPU 0's MMIO exits while vCPU 1 keeps 32 virtio-blk reads in flight (mmio-storm io=1, null disk, 2 vCPUs)\nMMIO exit latency of vCPU 0, p99 (us, lower is better)" noenhanced
set ylabel "us" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:3.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_io-beside_io_vcpu_exit_p99.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "Where I/O runs\nvCPU 0's MMIO exits while vCPU 1 keeps 32 virtio-blk reads in flight (mmio-storm io=1, null disk, 2 vCPUs)\nCDF of every raw sample (exit_p99)" noenhanced
set ylabel "fraction"
set xlabel "us (log scale)"
set logscale x
set format x "%g"
unset logscale y
set xtics norotate
set yrange [0:1]
set xrange [*:*]
set key bottom right noenhanced
plot "data/quick_io-beside_io_vcpu_exit_p99.cdf.dat" using 1:2 with lines lw 2 title "io=vcpu", "data/quick_io-beside_io_main_exit_p99.cdf.dat" using 1:2 with lines lw 2 title "io=main", "data/quick_io-beside_io_iothread_exit_p99.cdf.dat" using 1:2 with lines lw 2 title "io=iothread", "data/quick_io-beside_io_iothread_lock_big_exit_p99.cdf.dat" using 1:2 with lines lw 2 title "io=iothread,lock=big"
set title "Where I/O runs\nvirtio-blk 4 KiB random reads at QD 1 on 2 queues, one per vCPU (blk-io, null disk, 2 vCPUs)\n4 KiB random reads (k/s, higher is better)" noenhanced
set ylabel "k/s" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:2.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_io-qd1_io_vcpu_iops.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "Map lock under churn\n1 vCPU(s) (a CPU left for the churn thread) dispatching MMIO while a host thread replaces the tables 10000 times a second\nMMIO exit latency, p99 of every vCPU's exits (us, lower is better)" noenhanced
set ylabel "us" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:2.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_map-churn_map_rcu_exit_p99.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "Map lock under churn\n1 vCPU(s) (a CPU left for the churn thread) dispatching MMIO while a host thread replaces the tables 10000 times a second\nCDF of every raw sample (exit_p99)" noenhanced
set ylabel "fraction"
set xlabel "us (log scale)"
set logscale x
set format x "%g"
unset logscale y
set xtics norotate
set yrange [0:1]
set xrange [*:*]
set key bottom right noenhanced
plot "data/quick_map-churn_map_rcu_exit_p99.cdf.dat" using 1:2 with lines lw 2 title "map=rcu", "data/quick_map-churn_map_rwlock_exit_p99.cdf.dat" using 1:2 with lines lw 2 title "map=rwlock", "data/quick_map-churn_map_mutex_exit_p99.cdf.dat" using 1:2 with lines lw 2 title "map=mutex"
set title "Strategies at 2x overcommit\n2 VMs x 2 vCPUs on 2 CPUs, contended spinlock (smp-spin)\nspinlock acquisitions, both VMs together (k/s, higher is better)" noenhanced
set ylabel "k/s" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:3.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_spin_host_acquisitions.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "Strategies at 2x overcommit\n2 VMs x 2 vCPUs on 2 CPUs, 100 phases of 500 us between barriers (barrier-sync)\nbarrier phase time (vCPU 0 of each VM), mean (us, lower is better)" noenhanced
set ylabel "us" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:3.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_barrier_host_phase_mean.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "Strategies at 2x overcommit\n2 VMs x 2 vCPUs on 2 CPUs, 100 phases of 500 us between barriers (barrier-sync)\nCDF of every raw sample (phase_mean)" noenhanced
set ylabel "fraction"
set xlabel "us (log scale)"
set logscale x
set format x "%g"
unset logscale y
set xtics norotate
set yrange [0:1]
set xrange [*:*]
set key bottom right noenhanced
plot "data/quick_barrier_host_phase_mean.cdf.dat" using 1:2 with lines lw 2 title "host", "data/quick_barrier_gang_phase_mean.cdf.dat" using 1:2 with lines lw 2 title "gang", "data/quick_barrier_fifo_phase_mean.cdf.dat" using 1:2 with lines lw 2 title "fifo", "data/quick_barrier_credit_phase_mean.cdf.dat" using 1:2 with lines lw 2 title "credit"
set title "credit, weights 1:3, 2 VMs x 2 vCPUs of cpu-burn for 2 s\nshares of the host (targets 0.25, 0.75)\nVM 0's share of the host's CPU time (pp, higher is better)" noenhanced
set ylabel "pp" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:0.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_credit-weights_weights_1_3_vm0_share.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "credit, weights 1:3, 2 VMs x 2 vCPUs of cpu-burn for 2 s\nshares of the host (targets 0.25, 0.75)\nVM 1's share of the host's CPU time (pp, higher is better)" noenhanced
set ylabel "pp" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:0.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_credit-weights_weights_1_3_vm1_share.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "credit, weights 1:3, 2 VMs x 2 vCPUs of cpu-burn for 2 s\nshares of the host (targets 0.25, 0.75)\nCPU share of each VM (median) and its target" noenhanced
set ylabel "share of the host's CPU time"
unset logscale x
unset logscale y
set xlabel ""
set xtics rotate by -45 noenhanced font ",7"
set yrange [0:*]
set xrange [-0.6:2.6]
set style fill solid 0.5 border -1
set boxwidth 0.8
set key top right
plot "data/quick_credit-weights_weights_1_3_share_dev.shares.dat" using 1:3:xtic(2) with boxes lc rgb "#228833" title "measured", "" using 1:4 with points pt 7 ps 1 lc rgb "#cc3311" title "target"
set xtics font ",9"
set title "credit, VM 0 capped at 50% of one CPU (a quarter of the host) beside an uncapped VM, 2 VMs x 2 vCPUs of cpu-burn for 2 s (target\nVM 0 at 0.25)\nVM 0's share of the host's CPU time (pp, higher is better)" noenhanced
set ylabel "pp" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:0.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_credit-cap_vm0-cap_50_vm0_share.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "credit, VM 0 capped at 50% of one CPU (a quarter of the host) beside an uncapped VM, 2 VMs x 2 vCPUs of cpu-burn for 2 s (target\nVM 0 at 0.25)\nVM 1's share of the host's CPU time (pp, higher is better)" noenhanced
set ylabel "pp" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:0.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_credit-cap_vm0-cap_50_vm1_share.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "credit, VM 0 capped at 50% of one CPU (a quarter of the host) beside an uncapped VM, 2 VMs x 2 vCPUs of cpu-burn for 2 s (target\nVM 0 at 0.25)\nCPU share of each VM (median) and its target" noenhanced
set ylabel "share of the host's CPU time"
unset logscale x
unset logscale y
set xlabel ""
set xtics rotate by -45 noenhanced font ",7"
set yrange [0:*]
set xrange [-0.6:2.6]
set style fill solid 0.5 border -1
set boxwidth 0.8
set key top right
plot "data/quick_credit-cap_vm0-cap_50_share_dev.shares.dat" using 1:3:xtic(2) with boxes lc rgb "#228833" title "measured", "" using 1:4 with points pt 7 ps 1 lc rgb "#cc3311" title "target"
set xtics font ",9"
set title "Placement of one VM's 2 vCPUs sharing a spinlock\ncompact or scatter (smp-spin; run where the host has more than one core)\nspinlock acquisitions, both vCPUs (k/s, higher is better)" noenhanced
set ylabel "k/s" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:1.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_placement_compact_acquisitions.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set label "host" at 0, graph 0.97 left offset 0.3,0 noenhanced font ",8"
set arrow from 0.996241, graph 0 to 0.996241, graph 1 nohead dt 2 lc rgb "#666666"
set label "gang" at 0.996241, graph 0.97 left offset 0.3,0 noenhanced font ",8"
set object rect from 0.996241, graph 0 to 1.99621, graph 1 behind fc rgb "#e8eef8" fs solid 1.0 noborder
set arrow from 1.99621, graph 0 to 1.99621, graph 1 nohead dt 2 lc rgb "#666666"
set label "host" at 1.99621, graph 0.97 left offset 0.3,0 noenhanced font ",8"
set arrow from 3.00006, graph 0 to 3.00006, graph 1 nohead dt 2 lc rgb "#666666"
set label "gang" at 3.00006, graph 0.97 left offset 0.3,0 noenhanced font ",8"
set object rect from 3.00006, graph 0 to 4.0002, graph 1 behind fc rgb "#e8eef8" fs solid 1.0 noborder
set title "Live switch\n2 VMs x 2 vCPUs of smp-spin (2x overcommit) started under host, switched host <-> gang every second over QMP (4 phases)\ntime series per run, switch points dashed, gang phases shaded" noenhanced
set ylabel "rate (k/s)" noenhanced
set xlabel "time since the first sample (s)"
unset logscale x
unset logscale y
set format x "%g"
set format y "%g"
set xtics norotate
set yrange [0:*]
set xrange [0:4.0002]
set offsets 0, 0, graph 0.1, 0
set key below horizontal noenhanced
plot "data/quick_live-switch_2x-overcommit_host.trace0.dat" using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 title "run 1", "data/quick_live-switch_2x-overcommit_host.trace1.dat" using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 title "run 2", "data/quick_live-switch_2x-overcommit_host.trace2.dat" using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 title "run 3", "data/quick_live-switch_2x-overcommit_host.trace3.dat" using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 title "run 4", "data/quick_live-switch_2x-overcommit_host.trace4.dat" using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 title "run 5", "data/quick_live-switch_2x-overcommit_host.trace5.dat" using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 title "run 6", "data/quick_live-switch_2x-overcommit_host.trace6.dat" using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 title "run 7", "data/quick_live-switch_2x-overcommit_host.trace7.dat" using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 title "run 8"
unset arrow
unset label
unset object
set offsets 0, 0, 0, 0
set key default
set title "Live switch\n2 VMs x 2 vCPUs of smp-spin (2x overcommit) started under host, switched host <-> gang every second over QMP (4 phases)\nsmp-spin acquisitions/s in the host phases (mean of the 200 ms samples) (k/s, higher is better)" noenhanced
set ylabel "k/s" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:0.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_live-switch_2x-overcommit_host.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0
set title "Live switch\n2 VMs x 2 vCPUs of smp-spin (2x overcommit) started under host, switched host <-> gang every second over QMP (4 phases)\nsmp-spin acquisitions/s in the gang phases of the same runs (k/s, higher is better)" noenhanced
set ylabel "k/s" noenhanced
unset logscale x
set xlabel ""
unset logscale y
set format x "%g"
set format y "%g"
set xtics rotate by -25 noenhanced
set yrange [0:*]
set xrange [-0.6:0.6]
set style fill solid 0.5 border -1
set boxwidth 0.6
unset key
plot "data/quick_live-switch_2x-overcommit_gang.bars.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0

unset multiplot
unset output
