# strand bench: quick/live-switch/2x-overcommit/host over time (gnuplot quick_live-switch_2x-overcommit_host.trace.gp, run in this directory)
set terminal pngcairo size 960,480 font "sans,10"
set output "quick_live-switch_2x-overcommit_host.png"
set grid ytics
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
unset output
set terminal svg size 960,480 dynamic font "sans,10"
set output "quick_live-switch_2x-overcommit_host.svg"
set grid ytics
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
unset output
