#!/usr/bin/env bash
# Plots the soak benchmark's CSVs (soak-keel.csv, soak-restate.csv in DIR) to DIR/soak.png:
# throughput (accepted requests/s) and server RSS over time. Needs gnuplot (apt-get install -y gnuplot-nox).
# Usage: bench/plot-soak.sh DIR
set -euo pipefail
dir=${1:?usage: bench/plot-soak.sh DIR}
command -v gnuplot >/dev/null || { echo "gnuplot is not installed (apt-get install -y gnuplot-nox)" >&2; exit 1; }
plots_tp=() plots_rss=() plots_lat=()
for csv in "$dir"/soak-*.csv; do
  [ -e "$csv" ] || { echo "no soak-*.csv in $dir" >&2; exit 1; }
  name=$(basename "$csv" .csv); name=${name#soak-}
  # Window length from the first two rows' timestamps.
  win=$(awk -F, 'NR==2{a=$2} NR==3{print $2-a; exit}' "$csv"); win=${win:-5}
  plots_tp+=("'$csv' using 2:(\$5/$win) with lines lw 2 title '$name'")
  plots_rss+=("'$csv' using 2:8 with lines lw 2 title '$name'")
  plots_lat+=("'$csv' using 2:7 with lines lw 2 title '$name'")
done
join() { local IFS=','; echo "$*"; }
gnuplot <<GP
set terminal pngcairo size 1000,1000
set output '$dir/soak.png'
set datafile separator ','
set key autotitle columnhead
set multiplot layout 3,1 title 'Keel.Bench soak'
set grid
set xlabel 'seconds'
set ylabel 'accepted requests/s'
plot $(join "${plots_tp[@]}")
set ylabel 'server RSS (MiB)'
plot $(join "${plots_rss[@]}")
set ylabel 'max latency in window (ms)'
set logscale y
plot $(join "${plots_lat[@]}")
unset multiplot
GP
echo "$dir/soak.png"
