#!/usr/bin/env bash
# Plots the soak benchmark's CSVs (soak-keel.csv, soak-restate.csv in DIR) to DIR/soak.png:
# throughput (accepted requests/s), server RSS, worst send latency and worst call latency per window. Needs gnuplot (apt-get install -y gnuplot-nox).
# Usage: bench/plot-soak.sh DIR
set -euo pipefail
dir=${1:?usage: bench/plot-soak.sh DIR}
command -v gnuplot >/dev/null || { echo "gnuplot is not installed (apt-get install -y gnuplot-nox)" >&2; exit 1; }
plots_tp=() plots_rss=() plots_send=() plots_call=()
for csv in "$dir"/soak-*.csv; do
  [ -e "$csv" ] || { echo "no soak-*.csv in $dir" >&2; exit 1; }
  name=$(basename "$csv" .csv); name=${name#soak-}
  # Window length from the first two rows' timestamps.
  win=$(awk -F, 'NR==2{a=$2} NR==3{print $2-a; exit}' "$csv"); win=${win:-5}
  plots_tp+=("'$csv' using 2:(\$5/$win) with lines lw 2 title '$name'")
  plots_rss+=("'$csv' using 2:8 with lines lw 2 title '$name'")
  plots_send+=("'$csv' using 2:9 with lines lw 2 title '$name'")
  plots_call+=("'$csv' using 2:10 with lines lw 2 title '$name'")
done
join() { local IFS=','; echo "$*"; }
gnuplot <<GP
set terminal pngcairo size 1000,1300
set output '$dir/soak.png'
set datafile separator ','
set key autotitle columnhead
set multiplot layout 4,1 title 'Keel.Bench soak'
set grid
set xlabel 'seconds'
set ylabel 'accepted requests/s'
plot $(join "${plots_tp[@]}")
set ylabel 'server RSS (MiB)'
plot $(join "${plots_rss[@]}")
set ylabel 'worst send (202) latency, ms'
set logscale y
plot $(join "${plots_send[@]}")
set ylabel 'worst call latency, ms'
plot $(join "${plots_call[@]}")
unset multiplot
GP
echo "$dir/soak.png"
