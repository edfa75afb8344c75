# SPDX-License-Identifier: GPL-2.0
# rlab-report.awk: rlab-report's report, after rlab-report-check.awk
# accepted the file.
#
#   awk -v tmp=DIR -v out=OUTDIR -v src=NAME -v nat=NS -f rlab-report.awk \
#	COLUMNS STUDY.csv
#
# Two passes over what it read.  The first computes every figure and writes
# it to OUTDIR/figures.txt, one "key value" line each ("-": not measured);
# the second writes the prose of OUTDIR/study.md from those figures, and
# the main table (DIR/table.md, for stdout), one .dat per plotted series and
# one gnuplot script per plot (DIR).  mawk-compatible: no asort, gensub or
# length(array).
#
# Figures (keys are comma-separated, fields of the CSV):
#   rows N, skipped N                  rlab-study rows used, malformed rows
#   group,SC,SIZE,MODE,X               a table row (X: reps ns_per_slot loop_ns
#                                      section_ns gp_max_ns stalls stall_kinds)
#   series,SC,MODE,ns_per_slot         the median over a scenario's mode
#   extrap,SC,MODE,X                   from a plain median (X: ns_per_slot
#                                      slots_timeout slots_21s u32_section_s)
#   native,X  tcg_plain_ns_per_slot    NATIVE_NS_PER_SLOT's extrapolation
#   repro,SC,ACCEL,MODE,GPSRC,X        rlab-repro's rows of one case (X: kernel
#                                      teardowns size unit ns_per_iter
#                                      loop_measured gp_label gp_max_ns
#                                      idle_gp_max_ns stalled stall_kinds;
#                                      natively slots_21s limit limit_section_s)
# gp_source (column 25; before it, probe on rlab-study's modes, membarrier on
# rlab-repro's) says what a grace-period figure is: the module's grace
# periods (probe) or membarrier(MEMBARRIER_CMD_GLOBAL) calls; the two are
# never set side by side.
function isnum(x) {
	return x ~ /^[-+]?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$/ || x ~ /^[-+]?\.[0-9]+$/
}
function addl(s, v) {
	if (v == "") return s
	if (s == "") return v
	if (index("|" s "|", "|" v "|")) return s
	return s "|" v
}
function pretty(s,   t) { t = s; gsub(/\|/, ", ", t); return t }
function nitems(s,   a) { if (s == "") return 0; return split(s, a, "|") }
function push(name, id, v,   k) { k = name SUBSEP id; C[k]++; V[k, C[k]] = v + 0 }
function cnt(name, id) { return ((name SUBSEP id) in C) ? C[name SUBSEP id] : 0 }
function median(name, id,   k, n, i, j, t, a) {
	k = name SUBSEP id
	if (!(k in C)) return ""
	n = C[k]
	for (i = 1; i <= n; i++) a[i] = V[k, i]
	for (i = 2; i <= n; i++) {
		t = a[i]
		for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
		a[j + 1] = t
	}
	if (n % 2) return a[(n + 1) / 2]
	return (a[n / 2] + a[n / 2 + 1]) / 2
}
function maxv(name, id,   k, n, i, m) {
	k = name SUBSEP id
	if (!(k in C)) return ""
	n = C[k]; m = V[k, 1]
	for (i = 2; i <= n; i++) if (V[k, i] > m) m = V[k, i]
	return m
}
function fsize(n) {
	n += 0
	if (n >= 1e6 && n % 1e6 == 0) return sprintf("%.0fM", n / 1e6)
	return sprintf("%.0f", n)
}
function fcount(n) {
	n += 0
	if (n >= 1e6) return sprintf("%.0fM", n / 1e6)
	return sprintf("%.0f", n)
}
function ht(ns) {
	if (ns == "" || ns == "-") return "-"
	ns += 0
	if (ns < 999.5) return sprintf("%.0f ns", ns)
	if (ns < 999950) return sprintf("%.1f us", ns / 1e3)
	if (ns < 999950000) return sprintf("%.1f ms", ns / 1e6)
	return sprintf("%.2f s", ns / 1e9)
}
function f2(x) { return (x == "" || x == "-") ? "-" : sprintf("%.2f", x) }
# a figure: kept in F and written to figures.txt ("-": not measured)
function fv(x) {
	if (x == "" || x == "-") return "-"
	if (!isnum(x)) return x
	x += 0
	if (x == int(x) || x >= 1e6 || x <= -1e6) return sprintf("%.0f", x)
	return sprintf("%.10g", x)
}
function fig(k, v) { F[k] = fv(v); printf "%s %s\n", k, F[k] > figf }
# a grace-period figure in ms, or "not measured"
function fms(x) { return (x == "-") ? "not measured" : sprintf("%.0f ms", x / 1e6) }
# a gnuplot double-quoted string: no quote, backquote, backslash or dollar
function gq(s,   t) { t = s; gsub(/["`\\$]/, "", t); return t }
function warn(msg) { printf "%s: %s\n", "rlab-report", msg > "/dev/stderr" }
function fhog(h) {
	if (h == "") return "-"
	return (h == "off" || h == "-") ? h : "CPU " h
}
function fhogs(s,   a, n, i, r) {
	n = split(s, a, "|"); r = ""
	for (i = 1; i <= n; i++) r = r (i > 1 ? ", " : "") fhog(a[i])
	return r
}
function rank(m) { return (m == "plain") ? 0 : (m == "resched") ? 1 : 2 }
function study(m) { return m == "plain" || m == "resched" || m == "batch" }
# group/series ordering: scenario (first appearance), [size], mode, K, ctx
function gless(a, b) {
	if (G_sc[a] != G_sc[b]) return G_sc[a] < G_sc[b]
	if (G_size[a] != G_size[b]) return G_size[a] < G_size[b]
	if (G_rank[a] != G_rank[b]) return G_rank[a] < G_rank[b]
	if (G_k[a] != G_k[b]) return G_k[a] < G_k[b]
	return G_ctx[a] < G_ctx[b]
}
function sless(a, b) {
	if (S_sc[a] != S_sc[b]) return S_sc[a] < S_sc[b]
	if (S_rank[a] != S_rank[b]) return S_rank[a] < S_rank[b]
	if (S_k[a] != S_k[b]) return S_k[a] < S_k[b]
	return S_ctx[a] < S_ctx[b]
}
# stall cell of a group: "k/n kinds"
function stallcell(g,   k, n) {
	k = G_stk[g] + 0; n = G_stn[g] + 0
	if (n == 0) return "-"
	if (k == 0) return "0/" n
	return k "/" n " " pretty(G_kind[g])
}
function floor(x) { return (x >= 0 || x == int(x)) ? int(x) : int(x) - 1 }
function ceil(x) { return (x <= 0 || x == int(x)) ? int(x) : int(x) + 1 }
function pad(s, w) { while (length(s) < w) s = s " "; return s }
function lpad(s, w) { while (length(s) < w) s = " " s; return s }
# write one metric of every series as .dat files and a gnuplot script
function plot(metric, png, title, ylab, logy, tlines,
	       gp, s, g, f, n, np, cmd, v, ymin, ymax, sty, i, j, t, col, lo, hi, round) {
	gp = tmp "/" metric ".gp"
	cmd = ""; np = 0; ymin = ""; ymax = ""
	for (i = 1; i <= ns; i++) {
		s = SO[i]
		f = tmp "/" metric "_" i ".dat"
		n = 0
		for (j = 1; j <= ng; j++) {
			g = GO[j]
			if (G_sid[g] != s) continue
			if (metric == "nps") v = median("nps", g)
			else if (metric == "max") v = median("max", g)
			else v = median("gp", g)
			if (v == "") continue
			if (metric != "nps") v = v / 1e9
			if (logy && v <= 0) continue
			printf "%.0f %.10g\n", G_size[g], v > f
			n++
			if (ymin == "" || v < ymin) ymin = v
			if (ymax == "" || v > ymax) ymax = v
		}
		if (n == 0) continue
		close(f)
		np++
		col = PAL[(S_sc[s] - 1) % NPAL + 1]
		if (S_rank[s] == 0) sty = "dt 1 pt 7 ps 1.3 lw 2"
		else if (S_rank[s] == 1) sty = "dt 2 pt 6 ps 2.2 lw 2"
		else sty = "dt 4 pt " ((S_kidx[s] % 2) ? 5 : 9) " ps 1.3 lw 2"
		cmd = cmd (cmd == "" ? "plot " : ", \\\n     ") "\"" f "\" using 1:2" \
			" with linespoints lc rgb \"" col "\" " sty " title \"" gq(S_label[s]) "\""
	}
	if (np == 0) { warn("no data for " png ": plot skipped"); return 0 }
	# ns/slot: linear y unless the series differ by more than 10x (e.g. a hog run)
	if (logy == 2) {
		if (ymin > 0 && ymax / ymin > 10) {
			logy = 1; sub(/\)$/, ", log scale)", ylab); NPSLOG = 1
		} else
			logy = 0
	}
	if (tlines) {
		for (t = 1; t <= nto; t++) {
			if (TO[t] <= 0) continue
			if (TO[t] < ymin) ymin = TO[t]
			if (TO[t] > ymax) ymax = TO[t]
		}
	}
	print "set terminal pngcairo size 900,600 noenhanced font \"sans,10\"" > gp
	print "set output \"" out "/" png "\"" > gp
	print "set title \"" title "\"" > gp
	print "set xlabel \"array size (slots, log scale)\"" > gp
	print "set ylabel \"" ylab "\"" > gp
	print "set logscale x" > gp
	print "set format x \"%.0s%c\"" > gp
	# a tic at each size only when they are few and round (10M, 1G);
	# calibrated sizes (290135396) get the decades
	round = nxs <= 10
	for (i = 1; i <= nxs; i++) if (fsize(XS[i]) !~ /[kMG]$/) round = 0
	if (round) {
		t = ""
		for (i = 1; i <= nxs; i++) t = t (i > 1 ? ", " : "") sprintf("\"%s\" %.0f", fsize(XS[i]), XS[i])
		print "set xtics (" t ")" > gp
	}
	printf "set xrange [%.10g:%.10g]\n", xmin / 1.6, xmax * 1.6 > gp
	print "set grid xtics ytics mxtics mytics lc rgb \"#dddddd\"" > gp
	print "set key outside right top vertical Left reverse spacing 1.3 title \"scenario mode\"" > gp
	if (logy && metric == "nps") {
		print "set logscale y" > gp
		printf "set yrange [%.10g:%.10g]\n", ymin / 1.4, ymax * 1.4 > gp
		print "set ytics (1, 2, 3, 5, 7, 10, 20, 30, 50, 70, 100, 200, 300, 500, 700," \
			" 1000, 2000, 5000, 10000)" > gp
		print "set format y \"%g\"" > gp
	} else if (logy) {
		lo = 10 ^ floor(log(ymin / 1.5) / log(10))
		hi = 10 ^ ceil(log(ymax * 3) / log(10))
		print "set logscale y" > gp
		printf "set yrange [%.10g:%.10g]\n", lo, hi > gp
		print "set format y \"%.0s %cs\"" > gp
	} else {
		printf "set yrange [0:%.10g]\n", ymax * 1.15 > gp
	}
	if (tlines) {
		for (t = 1; t <= nto; t++) {
			if (TO[t] <= 0) continue
			printf "set arrow from graph 0, first %s to graph 1, first %s nohead dt 3" \
				" lw 1.5 lc rgb \"#555555\" front\n", TO[t], TO[t] > gp
			printf "set label \"stall timeout %s s\" at graph 0.01, first %s" \
				" offset 0,0.7 tc rgb \"#555555\" front\n", TO[t], TO[t] > gp
		}
	}
	print cmd > gp
	close(gp)
	print png > (tmp "/plots")
	return 1
}

# sizes(G, S): the sizes of the "|"-list S, as table sizes joined by ", "
function sizes(s,   a, n, i, r) {
	n = split(s, a, "|"); r = ""
	for (i = 1; i <= n; i++) r = r (i > 1 ? ", " : "") fsize(a[i])
	return r
}
# the Conclusions' figures: per scenario, each plain series against the batch
# and resched series of its ctx, its first stall, each batch series' stalls
function concl_figs(   i, j, k, s, sc, p, b, r, g, gb, gr, pl, pnps, best, bestb, q, first,
		    lastok, plast, stsz, common, same, both, none, diff, rlast, rlastr, mp,
		    mr, bl, dp, db, ps, rs) {
	for (i = 1; i <= ns; i++) {
		s = SO[i]
		if (S_mode[s] == "plain") { PSC[S_sc[s]] = 1; if (S_stk[s] > 0) PST[S_sc[s]] = 1 }
		if (S_mode[s] == "batch") { BSC[S_sc[s]] = 1; if (S_stk[s] > 0) BST[S_sc[s]] = 1 }
	}
	for (s = 1; s <= nsc; s++) {
		nplainsc += (s in PSC); nplainst += (s in PST)
		nbatchsc += (s in BSC); nbatchst += (s in BST)
	}
	fig("overall,plain_scenarios", nplainsc + 0); fig("overall,plain_stalled", nplainst + 0)
	fig("overall,batch_scenarios", nbatchsc + 0); fig("overall,batch_stalled", nbatchst + 0)
	for (sc = 1; sc <= nsc; sc++) {
		# the first plain series: each batch's cost per slot against it
		pl = ""
		for (i = 1; i <= ns; i++) {
			s = SO[i]; if (S_sc[s] != sc || S_mode[s] != "plain") continue
			if (pl == "") { pl = s; pnps = median("snps", s) }
		}
		if (pl != "")
			for (i = 1; i <= ns; i++) {
				s = SO[i]
				if (S_sc[s] != sc || S_mode[s] != "batch" || S_ctx[s] != S_ctx[pl]) continue
				if (pnps > 0)
					fig("vs," SCN[sc] "," S_ml[s] "," S_ml[pl] ",cost_pct",
					    (median("snps", s) / pnps - 1) * 100)
			}
		for (i = 1; i <= ns; i++) {
			p = SO[i]; if (S_sc[p] != sc || S_mode[p] != "plain") continue
			# each batch of its ctx: the loops at the largest size of both
			for (k = 1; k <= ns; k++) {
				b = SO[k]
				if (S_sc[b] != sc || S_mode[b] != "batch" || S_ctx[b] != S_ctx[p]) continue
				best = ""
				for (j = 1; j <= ng; j++) {
					g = GO[j]; if (G_sid[g] != p) continue
					gb = G_scn[g] SUBSEP G_size[g] SUBSEP S_ml[b]
					if (gb in G_sc) { best = g; bestb = gb }
				}
				q = "vs," SCN[sc] "," S_ml[b] "," S_ml[p]
				fig(q ",size", (best == "") ? "" : G_size[best])
				if (best == "") continue
				dp = median("dur", best); db = median("dur", bestb)
				fig(q ",loop_ns", db); fig(q ",plain_loop_ns", dp)
				fig(q ",loop_ratio", (dp > 0 ? db / dp : 0))
			}
			# its first stall, the last size without one before it
			first = ""; lastok = ""; stsz = ""
			for (j = 1; j <= ng; j++) {
				g = GO[j]; if (G_sid[g] != p) continue
				plast = g
				if (G_stk[g] > 0) {
					if (first == "") first = g
					stsz = stsz (stsz == "" ? "" : "|") G_size[g]
				} else if (first == "")
					lastok = g
			}
			q = "stall," SCN[sc] "," S_ml[p]
			fig(q ",first_size", (first == "") ? "" : G_size[first])
			if (first != "") {
				fig(q ",first_stalls", G_stk[first] "/" G_stn[first])
				fig(q ",first_kinds", G_kind[first])
				fig(q ",first_section_ns", median("max", first))
			}
			fig(q ",ok_size", (lastok == "") ? "" : G_size[lastok])
			if (lastok != "") fig(q ",ok_section_ns", median("max", lastok))
			fig(q ",stalled_sizes", stsz)
			fig(q ",largest_size", G_size[plast])
			fig(q ",largest_section_ns", median("max", plast))
			# each resched of its ctx: where they stalled, their sections
			for (k = 1; k <= ns; k++) {
				r = SO[k]
				if (S_sc[r] != sc || S_mode[r] != "resched" || S_ctx[r] != S_ctx[p]) continue
				same = 1; common = 0; both = ""; none = ""; diff = ""; rlast = ""
				for (j = 1; j <= ng; j++) {
					g = GO[j]; if (G_sid[g] != p) continue
					gr = G_scn[g] SUBSEP G_size[g] SUBSEP S_ml[r]
					if (!(gr in G_sc)) continue
					common++; rlast = g; rlastr = gr
					ps = (G_stk[g] > 0); rs = (G_stk[gr] > 0)
					if (ps != rs) {
						same = 0; diff = diff (diff == "" ? "" : "|") G_size[g]
					} else if (ps)
						both = both (both == "" ? "" : "|") G_size[g]
					else
						none = none (none == "" ? "" : "|") G_size[g]
				}
				q = "vs," SCN[sc] "," S_ml[r] "," S_ml[p]
				fig(q ",common_sizes", common); fig(q ",same", same)
				fig(q ",both_stalled", both); fig(q ",neither_stalled", none)
				fig(q ",differ", diff)
				if (!common) continue
				mp = median("max", rlast); mr = median("max", rlastr)
				fig(q ",size", G_size[rlast])
				fig(q ",section_ns", mr); fig(q ",plain_section_ns", mp)
				fig(q ",section_ratio", (mp > 0 && mr != "") ? mr / mp : "")
			}
		}
		# each batch series: its stalls, its longest section
		for (k = 1; k <= ns; k++) {
			b = SO[k]; if (S_sc[b] != sc || S_mode[b] != "batch") continue
			for (j = 1; j <= ng; j++) { g = GO[j]; if (G_sid[g] == b) bl = g }
			q = SK[b]
			fig(q ",stalls", (S_stn[b] + 0) ? (S_stk[b] + 0) "/" S_stn[b] : "")
			fig(q ",stall_kinds", S_kind[b])
			fig(q ",max_section_ns", maxv("smax", b))
			fig(q ",largest_size", G_size[bl])
			fig(q ",largest_sections", median("sec", bl))
		}
	}
}
# the Conclusions section, from concl_figs()'s figures
function conclusions(   i, j, k, s, sc, p, b, r, g, q, line, extra, pl, pctx, v, a, n, ratio) {
	print "## Conclusions" > md
	print "" > md
	printf "Overall: plain stalled in %d of the %d scenario(s) that ran it; batch stalled in" \
		" %d of %d.\n", F["overall,plain_stalled"], F["overall,plain_scenarios"],
		F["overall,batch_stalled"], F["overall,batch_scenarios"] > md
	print "" > md
	for (sc = 1; sc <= nsc; sc++) {
		printf "### %s\n\n", SCN[sc] > md
		printf "(preempt %s, stall timeout %s s, %s CPU(s), hog %s)\n\n",
			pretty(SC_pre[sc]), pretty(SC_to[sc]), pretty(SC_cpus[sc]),
			fhogs(SC_hog[sc]) > md
		line = ""; extra = ""; pl = ""
		for (i = 1; i <= ns; i++) {
			s = SO[i]; if (S_sc[s] != sc) continue
			line = line (line == "" ? "" : ", ") S_ml[s] " " f2(F[SK[s] ",ns_per_slot"])
			if (pl == "" && S_mode[s] == "plain") pl = s
		}
		for (i = 1; i <= ns; i++) {
			s = SO[i]; if (pl == "" || S_sc[s] != sc || S_mode[s] != "batch") continue
			q = "vs," SCN[sc] "," S_ml[s] "," S_ml[pl] ",cost_pct"
			if (q in F)
				extra = extra sprintf("; %s costs %+.1f%% per slot vs %s", S_ml[s], F[q],
						      S_ml[pl])
		}
		printf "- Median ns/slot over all teardowns: %s%s.\n", line, extra > md
		for (i = 1; i <= ns; i++) {
			p = SO[i]; if (S_sc[p] != sc || S_mode[p] != "plain") continue
			pctx = (nctx > 1) ? " (" S_ctxn[p] ")" : ""
			for (k = 1; k <= ns; k++) {
				b = SO[k]
				q = "vs," SCN[sc] "," S_ml[b] "," S_ml[p]
				if (S_sc[b] != sc || S_mode[b] != "batch" || !((q ",size") in F)) continue
				if (F[q ",size"] == "-")
					printf "- %s and plain%s share no array size: no duration ratio.\n",
						S_ml[b], pctx > md
				else
					printf "- Loop duration %s / plain%s at %s slots (largest size with" \
						" both): %.3fx (%.2f s vs %.2f s).\n", S_ml[b], pctx,
						fsize(F[q ",size"]), F[q ",loop_ratio"],
						F[q ",loop_ns"] / 1e9, F[q ",plain_loop_ns"] / 1e9 > md
			}
			q = "stall," SCN[sc] "," S_ml[p]
			if (F[q ",first_size"] != "-") {
				printf "- plain%s first stalled at **%s slots** (%s reps, %s); median" \
					" longest section there %s against a %s s stall timeout", pctx,
					fsize(F[q ",first_size"]), F[q ",first_stalls"],
					pretty(F[q ",first_kinds"]), ht(F[q ",first_section_ns"]),
					pretty(SC_to[sc]) > md
				if (F[q ",ok_size"] != "-")
					printf "; no stall at %s slots (median section %s)",
						fsize(F[q ",ok_size"]), ht(F[q ",ok_section_ns"]) > md
				else
					printf "; it stalled already at the smallest size tested" > md
				if (index(F[q ",stalled_sizes"], "|"))
					printf ". Stalled sizes: %s", sizes(F[q ",stalled_sizes"]) > md
				print "." > md
			} else
				printf "- plain%s: no stall up to %s slots (median longest section there" \
					" %s against a %s s stall timeout).\n", pctx,
					fsize(F[q ",largest_size"]), ht(F[q ",largest_section_ns"]),
					pretty(SC_to[sc]) > md
			for (k = 1; k <= ns; k++) {
				r = SO[k]
				q = "vs," SCN[sc] "," S_ml[r] "," S_ml[p]
				if (S_sc[r] != sc || S_mode[r] != "resched" || !((q ",same") in F))
					continue
				if (F[q ",common_sizes"] + 0 == 0) {
					printf "- resched and plain%s share no array size.\n", pctx > md
					continue
				}
				if (F[q ",same"] + 0 && F[q ",both_stalled"] != "-")
					printf "- resched stalled exactly where plain%s did (at %s%s)", pctx,
						sizes(F[q ",both_stalled"]),
						(F[q ",neither_stalled"] != "-" ? "; neither at " \
						 sizes(F[q ",neither_stalled"]) : "") > md
				else if (F[q ",same"] + 0)
					printf "- resched, like plain%s, never stalled (sizes %s)", pctx,
						sizes(F[q ",neither_stalled"]) > md
				else {
					n = split(F[q ",differ"], a, "|"); v = ""
					for (j = 1; j <= n; j++)
						v = v (j > 1 ? ", " : "") fsize(a[j]) " (plain " \
						    F["group," SCN[sc] "," a[j] "," S_ml[p] ",stalls"] \
						    ", resched " \
						    F["group," SCN[sc] "," a[j] "," S_ml[r] ",stalls"] ")"
					printf "- resched did NOT stall where plain%s did: %s", pctx, v > md
				}
				ratio = F[q ",section_ratio"]
				if (ratio != "-") {
					printf "; at %s slots its median longest section is %s vs plain %s" \
						" (%.2fx)", fsize(F[q ",size"]), ht(F[q ",section_ns"]),
						ht(F[q ",plain_section_ns"]), ratio > md
					if (ratio + 0 > 0.5)
						printf " - one long section like plain, consistent with" \
							" cond_resched_rcu() compiling to nothing" \
							" (CONFIG_PREEMPT_RCU=y)" > md
					else
						printf " - resched split the section, so" \
							" cond_resched_rcu() is effective on this kernel" > md
				}
				print "." > md
			}
		}
		if (pl == "") print "- No plain runs in this scenario." > md
		for (k = 1; k <= ns; k++) {
			b = SO[k]; if (S_sc[b] != sc || S_mode[b] != "batch") continue
			q = SK[b]; split(F[q ",stalls"], a, "/")
			if (F[q ",stalls"] == "-")
				printf "- %s: stall count not recorded; its longest read-side section" \
					" over all teardowns was %s", S_ml[b],
					ht(F[q ",max_section_ns"]) > md
			else if (a[1] + 0 == 0)
				printf "- %s never stalled (0/%d teardowns, up to %s slots); its longest" \
					" read-side section over all teardowns was %s", S_ml[b], a[2],
					fsize(F[q ",largest_size"]), ht(F[q ",max_section_ns"]) > md
			else
				printf "- %s STALLED in %s teardowns (%s) - not expected, check the" \
					" kernel log; its longest read-side section over all teardowns" \
					" was %s", S_ml[b], F[q ",stalls"], pretty(F[q ",stall_kinds"]),
					ht(F[q ",max_section_ns"]) > md
			if (F[q ",largest_sections"] != "-")
				printf " (median %s sections per teardown at %s slots)",
					fcount(F[q ",largest_sections"]), fsize(F[q ",largest_size"]) > md
			print "." > md
		}
		print "" > md
	}
}
# the Extrapolation section, from the extrap figures
function extrapolation(   i, p, sc, k, first, lastok, j, g, obs, n21) {
	print "### Extrapolation" > md
	print "" > md
	print "From the median plain ns/slot of each scenario: the array size whose loop lasts" \
		" the scenario's own stall timeout (compare with the observed plain threshold)," \
		" the size whose loop lasts the default stall timeout of 21 s with its memory (8" \
		" bytes per slot), and how long the u32 limit of max_entries (4,294,967,295" \
		" slots, 34.4 GB) would hold one read-side section." > md
	print "" > md
	print "| scenario | plain ns/slot | stall timeout | slots for that timeout | observed" \
		" plain threshold | slots for 21 s | memory for 21 s | u32 max_entries section |" \
		" multiple of 21 s |" > md
	print "|---|--:|--:|--:|---|--:|--:|--:|--:|" > md
	for (i = 1; i <= ns; i++) {
		p = SO[i]
		if (!(p in EK)) continue
		sc = S_sc[p]; k = EK[p]
		first = ""; lastok = ""
		for (j = 1; j <= ng; j++) {
			g = GO[j]; if (G_sid[g] != p) continue
			if (G_stk[g] > 0) { if (first == "") first = g } else if (first == "") lastok = g
			plast = g
		}
		if (first != "") obs = (lastok != "" ? "> " fsize(G_size[lastok]) ", <=" \
			" " fsize(G_size[first]) : "<= " fsize(G_size[first]))
		else obs = "> " fsize(G_size[plast]) " (no stall)"
		n21 = F[k ",slots_21s"] + 0
		printf "| %s | %.2f | %s s | %s | %s | %s%s | %.1f GB | %.1f s | %.1fx |\n",
			SCN[sc] (nctx > 1 ? " (" S_ctxn[p] ")" : ""), F[k ",ns_per_slot"],
			pretty(SC_to[sc]),
			(F[k ",slots_timeout"] == "-" ? "-" : fcount(F[k ",slots_timeout"])), obs,
			fcount(n21), (n21 > 4294967295 ? " (> u32 limit)" : ""), n21 * 8 / 1e9,
			F[k ",u32_section_s"], F[k ",u32_section_s"] / 21 > md
	}
	print "" > md
	print "TCG (emulated-CPU) timings do not carry over to other machines, in either" \
		" direction: a CPU running the kernel natively is usually faster per slot, but" \
		" the kernel's loop in a virtual machine can be slower (see Real hardware, where" \
		" measured). Compare modes and sizes within one boot (one scenario), not across" \
		" boots or machines; the extrapolation only assumes the per-slot cost stays" \
		" constant with size." > md
	print "" > md
}
# the Real hardware section: the native figures
function realhw(   i, k, t) {
	print "### Real hardware" > md
	print "" > md
	print "Measured natively on the machine that ran the study (no emulation), with" \
		" rlab-repro: the slot loop in user space with the map's layout (-L), and a real" \
		" map closed on the machine's own kernel while threads pinned to each CPU timed" \
		" grace periods with membarrier(MEMBARRIER_CMD_GLOBAL) (each call is a" \
		" synchronize_rcu(): the latency of a grace period requested at its start, one" \
		" to two grace periods), against an idle window of the same length. These are" \
		" grace-period waits, not the grace periods the module's probe times in the" \
		" table above: compare each with its own idle window, not with the table. The" \
		" other cases of rlab-repro (perf_event_array, htab_timer, devmap, devmap_hash)" \
		" are other kernel paths that walk a whole map in one read-side section," \
		" measured the same way." > md
	print "" > md
	if ("native,ns_per_slot" in F) {
		t = F["tcg_plain_ns_per_slot"]
		printf "- Slot loop natively, in user space: %.3f ns/slot%s.\n",
			F["native,ns_per_slot"], (t != "-" && t + 0 > 0 ? sprintf("; the TCG" \
			" figure above (median plain ns/slot over the scenarios without a hog)" \
			" is %.2f, %.1fx slower", t, t / F["native,ns_per_slot"]) : "") > md
		at21("native", "At that speed")
	}
	for (i = 1; i <= nrp; i++) {
		k = RPO[i]
		if (RP_acc[k] == "native") reproline(k, "native")
	}
	print "" > md
}
# rlab-repro's rows in virtual machines (accel tcg, kvm)
function vmrepro(   i, k) {
	print "### rlab-repro in virtual machines" > md
	print "" > md
	print "rlab-repro's cases run in a guest (accel tcg or kvm): the walk's cost per" \
		" iteration is the emulated or virtual CPU's, not the hardware's (no" \
		" extrapolation from it), and each grace-period figure is what its gp_source" \
		" says (membarrier: the longest membarrier(MEMBARRIER_CMD_GLOBAL) call, a grace" \
		" period requested and waited for), against the idle window after it, never" \
		" against the module's grace periods in the table." > md
	print "" > md
	for (i = 1; i <= nrp; i++) {
		k = RPO[i]
		if (RP_acc[k] != "native") reproline(k, RP_acc[k])
	}
	print "" > md
}
# How to read the plots
function plotstext() {
	print "## How to read the plots" > md
	print "" > md
	print "Each line is one scenario and mode, with one point per array size at the median" \
		" over the reps; x is the array size in slots on a log scale. The colour is the" \
		" scenario. plain is a solid line with filled dots, resched a dashed line with" \
		" large open circles (where cond_resched_rcu() is a no-op, resched lies on plain" \
		" and its circles ring the plain dots), and batch a dash-dot line with squares" \
		" (triangles for a second K)." > md
	print "" > md
	printf "- `ns_per_slot.png`%s: a flat line means the loop costs the same per slot at" \
		" every size, so its duration grows linearly with the array. The gap between" \
		" batch and plain is what batching costs.\n", (NPSLOG ? " (log y, because one" \
		" scenario is more than 10x slower than another)" : "") > md
	print "- `max_section.png` (log y, in seconds): the longest RCU read-side section. For" \
		" plain and resched it grows with the array; for batch it stays flat at about K" \
		" slots of work. Each dotted horizontal line is the stall timeout of one or more" \
		" scenarios. A point above its own scenario's line is a section long enough to" \
		" trip an RCU stall warning." > md
	print "- `gp_latency.png` (log y, in seconds): the longest grace period (the module's" \
		" probe) that completed during the loop. With plain it follows the loop" \
		" duration, since the grace period cannot end before the section does. With" \
		" batch it stays at the normal grace-period latency. A size where no grace" \
		" period completed during the loop has no point." > md
	print "" > md
	if (okn) print "![ns per slot vs array size](ns_per_slot.png)\n" > md
	if (okm) print "![longest RCU read-side section vs array size](max_section.png)\n" > md
	if (okg) print "![longest grace period vs array size](gp_latency.png)\n" > md
}

# ext21(KEY, NPS, LIM): the figures of a native speed: the slots whose walk
# lasts the default 21 s stall timeout, and one section at the limit LIM
function ext21(k, nps, lim) {
	fig(k ",slots_21s", 21e9 / nps)
	fig(k ",limit", lim)
	fig(k ",limit_section_s", lim * nps / 1e9)
}
# at21(KEY, LEAD): ext21's figures for reuseport's slots, in prose
function at21(k, lead,   n21, ls) {
	n21 = F[k ",slots_21s"] + 0; ls = F[k ",limit_section_s"] + 0
	printf "- %s the default 21 s stall timeout needs %s slots (%.0f GB)%s;" \
		" the u32 limit of max_entries (4,294,967,295 slots, 34.4 GB) holds one" \
		" read-side section for %.2f s, %.0f%% of 21 s: %s\n", lead, fcount(n21),
		n21 * 8 / 1e9, (n21 > 4294967295 ? ", past the u32 limit" : ""), ls, 100 * ls / 21,
		(ls < 21 ? "below the default timeout at this speed unless something preempts" \
		 " the loop, but every grace period waits that long." : "past the default" \
		 " timeout: at this speed a map of more than " fcount(n21) " slots stalls" \
		 " with nothing preempting it.") > md
}
# at21c(KEY, UNIT): the same for a case of rlab-repro, at its map type's limit
function at21c(k, u,   n21, ls, lim) {
	n21 = F[k ",slots_21s"] + 0; ls = F[k ",limit_section_s"] + 0; lim = F[k ",limit"] + 0
	printf "  - At that speed the default 21 s stall timeout needs %s %s%s; the limit" \
		" of %s %s holds one read-side section for %.2f s, %.0f%% of 21 s: %s\n",
		fcount(n21), u, (n21 > lim ? ", past the limit" : ""), fcount(lim), u, ls,
		100 * ls / 21, (ls < 21 ? "below the default timeout at this speed unless" \
		" something preempts the walk." : "past the default timeout: at this speed a" \
		" map of more than " fcount(n21) " " u " stalls with nothing preempting it.") > md
}
# median plain ns/slot over the TCG rows without a hog
function tcg_plain(   i, n, v) {
	n = 0
	for (i = 1; i <= nrows; i++)
		if (R_mode[i] == "plain" && R_hog[i] == "off" && R_acc[i] == "tcg" && R_nps[i] != "")
			v[++n] = R_nps[i]
	if (!n) return ""
	asort_n(v, n)
	return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function asort_n(v, n,   i, j, t) {
	for (i = 2; i <= n; i++) {
		t = v[i]
		for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]
		v[j + 1] = t
	}
}
# one line of rlab-repro's rows (key K: accel, mode, gp_source), from its figures
function reproline(k, acc,   p, m, u, what, loop, gp, idle, st) {
	p = RPK[k]; m = RP_mode[k]; u = F[p ",unit"]
	if (acc == "native")
		what = ((m == "kernel") ? "The real map" : m) " on this machine's kernel"
	else
		what = RP_sc[k] ": " ((m == "kernel") ? "the real map" : m) " under " acc
	if (F[p ",ns_per_iter"] != "-")
		loop = sprintf(", %s %s ns%s (the fastest)",
			       (m == "kernel") ? "kernel loop" : "walk", F[p ",ns_per_iter"],
			       (m == "kernel") ? "/slot" : " per " substr(u, 1, length(u) - 1))
	else
		loop = (m == "kernel") ? ", kernel loop not measured" : ", walk not timed"
	gp = fms(F[p ",gp_max_ns"]); idle = F[p ",idle_gp_max_ns"]
	if (idle != "-") gp = gp " against " fms(idle) " in the idle window"
	else if (F[p ",gp_max_ns"] != "-") gp = gp " (idle window not measured)"
	if (F[p ",stall_reports"] + 0 == 0) st = "stalls not measured"
	else {
		st = F[p ",stalled"] " stalled"
		if (F[p ",stalled"] + 0 > 0) st = st " (" pretty(F[p ",stall_kinds"]) ")"
	}
	printf "- %s (%s): %s %s, %d teardown(s)%s; %s %s; %s.\n", what, pretty(F[p ",kernel"]),
		fcount(F[p ",size"]), u, F[p ",teardowns"], loop, F[p ",gp_label"], gp, st > md
	if (acc == "native" && F[p ",ns_per_iter"] != "-" && F[p ",ns_per_iter"] + 0 > 0) {
		if (m == "kernel")
			at21(p, "At the kernel loop's speed (the real function, which is what stalls)")
		else
			at21c(p, u)
	}
}
BEGIN {
	FS = "\t+"; nrows = 0; nsc = 0; nctx = 0; nto = 0; nrp = 0
	if (out == "" || tmp == "") {
		warn("needs -v out=OUTDIR -v tmp=TMPDIR (rlab-report sets them)")
		dead = 1
		exit 4
	}
	figf = out "/figures.txt"
	printf "" > figf
	# what the walks of rlab-repro's cases iterate over (rlab-repro -l)
	UNIT["kernel"] = UNIT["perf_event_array"] = UNIT["devmap"] = "slots"
	UNIT["htab_timer"] = UNIT["devmap_hash"] = "buckets"
	# the limits of the map types: max_entries is a u32; devmap_hash at most
	# 2^31 buckets (dev_map_init_map()); htab at most U32_MAX / sizeof(struct
	# bucket) = 16 bytes, 2^27 buckets (htab_map_alloc())
	LIM["devmap_hash"] = 2147483648; LIM["htab_timer"] = 134217728
	NPAL = split("#1f77b4 #d62728 #2ca02c #9467bd #ff7f0e #8c564b #e377c2 #17becf" \
		     " #7f7f7f #bcbd22", PAL, " ")
	# the columns this program reads, by name (in no order: C[] maps each
	# name to its field, from the schema)
	nwant = split("accel batch cpus ctx duration_ns filled gp_max_ns gp_samples" \
		      " gp_source hog kernel max_section_ns mode ns_per_slot preempt rep" \
		      " scenario sections size stall_kind stall_timeout stalls", WANT, " ")
}
# the schema (tools/columns): the accepted lengths and the header lines
FNR == NR {
	if ($1 == "column") {
		ncol++; h = h (ncol > 1 ? "," : "") $2; LEN[$3] = 1; CNAME[ncol] = $2
		C[$2] = ncol
		if (ncol in LEN) HDR[h] = 1
	}
	next
}
FNR == 1 {
	for (i = 1; i <= nwant; i++)
		if (!(WANT[i] in C)) {
			warn("the schema has no column " WANT[i])
			dead = 1
			exit 4
		}
	for (i = 1; i <= ncol; i++) if (i in LEN) lens = lens (lens == "" ? "" : ", ") i
	FS = ","
	next
}
{ sub(/\r$/, "") }
# a header again (files appended to one another), a blank line
$0 in HDR { next }
/^[ \t]*$/ { next }
{
	if (!(NF in LEN)) {
		warn(src ":" FNR ": expected " lens " fields, got " NF "; row skipped")
		nbad++; next
	}
	for (i = 1; i <= NF; i++) gsub(/^[ \t]+|[ \t]+$/, "", $i)
	acc = (NF >= C["accel"] && $C["accel"] != "") ? $C["accel"] : "tcg"
	gsrc = study($C["mode"]) ? "probe" : "membarrier"
	if (NF >= C["gp_source"] && $C["gp_source"] != "") gsrc = $C["gp_source"]
	sc = $C["scenario"]; gp = $C["gp_max_ns"]; sz = $C["size"]; nps = $C["ns_per_slot"]
	if ($C["mode"] == "idle") {
		# the idle window after a row of rlab-repro: that row's
		k = (lastrp != "") ? lastrp : sc SUBSEP acc SUBSEP "kernel" SUBSEP gsrc
		if (!(k in RP_n) || RP_sc[k] != sc || RP_acc[k] != acc || RP_src[k] != gsrc) {
			warn(src ":" FNR ": an idle row after no row of rlab-repro of its" \
			     " scenario, accel and gp_source; row skipped")
			nbad++; next
		}
		if (gp != "" && (RP_idle[k] == "" || gp + 0 > RP_idle[k] + 0)) RP_idle[k] = gp
		next
	}
	if (!study($C["mode"])) {
		# rlab-repro: kernel (reuseport) or one of its other cases, kept
		# whatever was measured (an empty field is "not measured")
		k = sc SUBSEP acc SUBSEP $C["mode"] SUBSEP gsrc; lastrp = k
		if (!(k in RP_n)) {
			RPO[++nrp] = k; RP_sc[k] = sc; RP_acc[k] = acc; RP_mode[k] = $C["mode"]
			RP_src[k] = gsrc
			RP_size[k] = ""; RP_nps[k] = ""; RP_gp[k] = ""; RP_idle[k] = ""
		}
		RP_n[k]++; RP_ker[k] = addl(RP_ker[k], $C["kernel"])
		if (isnum(sz) && (RP_size[k] == "" || sz + 0 > RP_size[k] + 0)) RP_size[k] = sz
		if (isnum(nps) && (RP_nps[k] == "" || nps + 0 < RP_nps[k] + 0)) RP_nps[k] = nps
		if (isnum($C["duration_ns"])) RP_loop[k]++
		if (gp != "" && (RP_gp[k] == "" || gp + 0 > RP_gp[k] + 0)) RP_gp[k] = gp
		if ($C["stalls"] != "") {
			RP_stn[k]++
			if ($C["stalls"] + 0 > 0) { RP_st[k]++; RP_kind[k] = addl(RP_kind[k], $C["stall_kind"]) }
		}
		next
	}
	lastrp = ""
	if (!isnum(sz) || !isnum($C["duration_ns"])) {
		warn(src ":" FNR ": size/duration_ns not numeric; row skipped")
		nbad++; next
	}
	nrows++
	R_sc[nrows] = sc; R_ker[nrows] = $C["kernel"]; R_pre[nrows] = $C["preempt"]
	R_to[nrows] = $C["stall_timeout"]; R_hog[nrows] = $C["hog"]; R_cpus[nrows] = $C["cpus"]
	R_size[nrows] = sz + 0; R_fill[nrows] = $C["filled"]; R_mode[nrows] = $C["mode"]
	R_k[nrows] = $C["batch"]; R_ctx[nrows] = $C["ctx"]; R_rep[nrows] = $C["rep"]
	R_dur[nrows] = $C["duration_ns"] + 0; R_acc[nrows] = acc
	R_nps[nrows] = isnum(nps) ? nps + 0 : (sz > 0 ? $C["duration_ns"] / sz : "")
	R_max[nrows] = isnum($C["max_section_ns"]) ? $C["max_section_ns"] + 0 : ""
	R_sec[nrows] = isnum($C["sections"]) ? $C["sections"] + 0 : ""
	R_gps[nrows] = isnum($C["gp_samples"]) ? $C["gp_samples"] + 0 : ""
	# the table's grace periods are the module's (probe) only
	R_gp[nrows] = (gsrc == "probe" && isnum(gp) && gp + 0 > 0) ? gp + 0 : ""
	if (gsrc != "probe" && gp != "") nmemb++
	R_st[nrows] = isnum($C["stalls"]) ? $C["stalls"] + 0 : ""
	R_kind[nrows] = $C["stall_kind"]
	if (!(sc in SCI)) { nsc++; SCI[sc] = nsc; SCN[nsc] = sc }
	if (!($C["ctx"] in CTXS)) { nctx++; CTXS[$C["ctx"]] = nctx }
	kers = addl(kers, $C["kernel"])
	to = $C["stall_timeout"]
	if (isnum(to) && !((to + 0) in TOS)) { nto++; TO[nto] = to + 0; TOS[to + 0] = 1 }
	s = SCI[sc]
	SC_ker[s] = addl(SC_ker[s], $C["kernel"]); SC_pre[s] = addl(SC_pre[s], $C["preempt"])
	SC_to[s] = addl(SC_to[s], $C["stall_timeout"]); SC_hog[s] = addl(SC_hog[s], $C["hog"])
	SC_cpus[s] = addl(SC_cpus[s], $C["cpus"]); SC_n[s]++
	SC_acc[s] = addl(SC_acc[s], acc)
	modes = addl(modes, ($C["mode"] == "batch") ? "batch:" $C["batch"] : $C["mode"])
}
END {
	if (dead) exit 4
	close(figf)
	if (nrows == 0 && nrp == 0) { warn(src ": no usable data rows"); exit 3 }
	# ================================================================ figures
	fig("rows", nrows); fig("skipped", nbad + 0)
	# sort the timeouts (few)
	for (i = 2; i <= nto; i++) {
		t = TO[i]
		for (j = i - 1; j >= 1 && TO[j] > t; j--) TO[j + 1] = TO[j]
		TO[j + 1] = t
	}
	xmin = ""; xmax = ""
	ng = 0; ns = 0
	for (r = 1; r <= nrows; r++) {
		ml = (R_mode[r] == "batch") ? "batch:" R_k[r] : R_mode[r]
		if (nctx > 1) ml = ml "/" R_ctx[r]
		s = R_sc[r] SUBSEP ml
		if (!(s in S_sc)) {
			ns++; SL[ns] = s
			S_sc[s] = SCI[R_sc[r]]; S_rank[s] = rank(R_mode[r])
			S_k[s] = isnum(R_k[r]) ? R_k[r] + 0 : 0; S_ctx[s] = CTXS[R_ctx[r]]
			S_ctxn[s] = R_ctx[r]
			S_ml[s] = ml; S_mode[s] = R_mode[r]; S_label[s] = R_sc[r] " " ml
			S_scn[s] = R_sc[r]
		}
		g = R_sc[r] SUBSEP R_size[r] SUBSEP ml
		if (!(g in G_sc)) {
			ng++; GL[ng] = g
			G_sc[g] = S_sc[s]; G_size[g] = R_size[r]; G_rank[g] = S_rank[s]
			G_k[g] = S_k[s]; G_ctx[g] = S_ctx[s]; G_sid[g] = s; G_ml[g] = ml
			G_scn[g] = R_sc[r]
		}
		G_n[g]++
		push("nps", g, R_nps[r]); push("dur", g, R_dur[r]); push("snps", s, R_nps[r])
		if (R_max[r] != "") { push("max", g, R_max[r]); push("smax", s, R_max[r]) }
		if (R_sec[r] != "") push("sec", g, R_sec[r])
		if (R_gp[r] != "") push("gp", g, R_gp[r])
		if (R_st[r] != "") {
			G_stn[g]++; S_stn[s]++
			if (R_st[r] > 0) {
				G_stk[g]++; S_stk[s]++
				G_kind[g] = addl(G_kind[g], R_kind[r])
				S_kind[s] = addl(S_kind[s], R_kind[r])
			}
		}
		if (xmin == "" || R_size[r] < xmin) xmin = R_size[r]
		if (xmax == "" || R_size[r] > xmax) xmax = R_size[r]
	}
	# sort groups and series
	for (i = 1; i <= ng; i++) GO[i] = GL[i]
	for (i = 2; i <= ng; i++) {
		t = GO[i]
		for (j = i - 1; j >= 1 && gless(t, GO[j]); j--) GO[j + 1] = GO[j]
		GO[j + 1] = t
	}
	for (i = 1; i <= ns; i++) SO[i] = SL[i]
	for (i = 2; i <= ns; i++) {
		t = SO[i]
		for (j = i - 1; j >= 1 && sless(t, SO[j]); j--) SO[j + 1] = SO[j]
		SO[j + 1] = t
	}
	# batch series index within a scenario (point type alternation)
	for (i = 1; i <= ns; i++) {
		s = SO[i]
		if (S_rank[s] != 2) continue
		if (!((S_sc[s], S_k[s]) in BKI)) { BK[S_sc[s]]++; BKI[S_sc[s], S_k[s]] = BK[S_sc[s]] }
		S_kidx[s] = BKI[S_sc[s], S_k[s]]
	}
	# distinct sizes, ascending (x tics)
	nxs = 0
	for (r = 1; r <= nrows; r++)
		if (!(R_size[r] in XSS)) { XSS[R_size[r]] = 1; XS[++nxs] = R_size[r] }
	for (i = 2; i <= nxs; i++) {
		t = XS[i]
		for (j = i - 1; j >= 1 && XS[j] > t; j--) XS[j + 1] = XS[j]
		XS[j + 1] = t
	}
	# the table's rows, each series' median, the extrapolation from plain
	for (i = 1; i <= ng; i++) {
		g = GO[i]; k = "group," G_scn[g] "," G_size[g] "," G_ml[g]; GK[g] = k
		fig(k ",reps", G_n[g]); fig(k ",ns_per_slot", median("nps", g))
		fig(k ",loop_ns", median("dur", g)); fig(k ",section_ns", median("max", g))
		fig(k ",gp_max_ns", maxv("gp", g))
		fig(k ",stalls", (G_stn[g] + 0) ? (G_stk[g] + 0) "/" G_stn[g] : "-")
		fig(k ",stall_kinds", G_kind[g])
	}
	for (i = 1; i <= ns; i++) {
		s = SO[i]; SK[s] = "series," S_scn[s] "," S_ml[s]
		fig(SK[s] ",ns_per_slot", median("snps", s))
	}
	concl_figs()
	for (i = 1; i <= ns; i++) {
		p = SO[i]; v = median("snps", p)
		if (S_mode[p] != "plain" || v == "" || v <= 0) continue
		k = "extrap," S_scn[p] "," S_ml[p]; EK[p] = k
		to = pretty(SC_to[S_sc[p]])
		fig(k ",ns_per_slot", v)
		fig(k ",slots_timeout", (nitems(SC_to[S_sc[p]]) == 1 && isnum(to)) ? to * 1e9 / v : "")
		fig(k ",slots_21s", 21e9 / v)
		fig(k ",u32_section_s", 4294967295 * v / 1e9)
	}
	# the native user-space loop against TCG's plain loop
	if (nat != "" && nat + 0 > 0) {
		fig("native,ns_per_slot", nat)
		fig("tcg_plain_ns_per_slot", tcg_plain())
		ext21("native", nat, 4294967295)
	}
	# rlab-repro's rows, a line per accel, case and gp_source
	for (i = 1; i <= nrp; i++) {
		k = RPO[i]; m = RP_mode[k]
		p = "repro," RP_sc[k] "," RP_acc[k] "," m "," RP_src[k]; RPK[k] = p
		if (RP_acc[k] == "native") nnat++
		else nvm++
		fig(p ",kernel", RP_ker[k]); fig(p ",teardowns", RP_n[k]); fig(p ",size", RP_size[k])
		fig(p ",unit", (m in UNIT) ? UNIT[m] : "iterations")
		fig(p ",ns_per_iter", RP_nps[k]); fig(p ",loop_measured", RP_loop[k] + 0)
		fig(p ",gp_label", (RP_src[k] == "probe") ? "longest grace period" \
		    : "longest grace-period wait (membarrier)")
		fig(p ",gp_max_ns", RP_gp[k]); fig(p ",idle_gp_max_ns", RP_idle[k])
		fig(p ",stall_reports", RP_stn[k] + 0); fig(p ",stalled", RP_st[k] + 0)
		fig(p ",stall_kinds", RP_kind[k])
		if (RP_acc[k] == "native" && RP_nps[k] != "" && RP_nps[k] > 0)
			ext21(p, RP_nps[k], (m in LIM) ? LIM[m] : 4294967295)
	}
	close(figf)

	# ================================================================ prose
	# ---------------------------------------------------------------- table
	nc = 9
	H[1] = "scenario"; H[2] = "size"; H[3] = "mode"; H[4] = "reps"
	H[5] = "ns/slot (median)"; H[6] = "loop s (median)"; H[7] = "longest section (median)"
	H[8] = "grace period max (max)"; H[9] = "stalls"
	RA[4] = RA[5] = RA[6] = RA[7] = RA[8] = 1
	for (c = 1; c <= nc; c++) W[c] = length(H[c]) < 3 ? 3 : length(H[c])
	for (i = 1; i <= ng; i++) {
		g = GO[i]; k = GK[g]
		T[i, 1] = G_scn[g]; T[i, 2] = fsize(G_size[g]); T[i, 3] = G_ml[g]
		T[i, 4] = F[k ",reps"]; T[i, 5] = f2(F[k ",ns_per_slot"])
		T[i, 6] = sprintf("%.2f", F[k ",loop_ns"] / 1e9)
		T[i, 7] = ht(F[k ",section_ns"]); T[i, 8] = ht(F[k ",gp_max_ns"])
		T[i, 9] = F[k ",stalls"]
		if (T[i, 9] !~ /^(-|0\/.*)$/) T[i, 9] = T[i, 9] " " pretty(F[k ",stall_kinds"])
		for (c = 1; c <= nc; c++) if (length(T[i, c]) > W[c]) W[c] = length(T[i, c])
	}
	tf = tmp "/table.md"
	if (ng) {
		line = "|"; for (c = 1; c <= nc; c++) line = line " " pad(H[c], W[c]) " |"
		print line > tf
		line = "|"
		for (c = 1; c <= nc; c++) {
			d = ""; while (length(d) < W[c] - (RA[c] ? 1 : 0)) d = d "-"
			line = line " " d (RA[c] ? ":" : "") " |"
		}
		print line > tf
		for (i = 1; i <= ng; i++) {
			line = "|"
			for (c = 1; c <= nc; c++)
				line = line " " (RA[c] ? lpad(T[i, c], W[c]) : pad(T[i, c], W[c])) " |"
			print line > tf
		}
	} else
		print "No rows of rlab-study: no table (rlab-repro's rows are in study.md)." > tf
	close(tf)

	# ---------------------------------------------------------------- plots
	okn = plot("nps", "ns_per_slot.png", "Cost of the free loop per array slot",
		   "ns per slot (median of reps)", 2, 0)
	okm = plot("max", "max_section.png", "Longest RCU read-side section per teardown",
		   "longest read-side section (median of reps, log scale)", 1, 1)
	okg = plot("gp", "gp_latency.png", "Longest grace period completed during the free loop",
		   "longest grace period (median of reps, log scale)", 1, 1)

	# ---------------------------------------------------------------- study.md
	md = out "/study.md"
	print "# reuseport_lab study: how long freeing a reuseport_array holds RCU" > md
	print "" > md
	if (nrows)
		printf "Source: `%s`, %d teardowns (%d table rows) in %d scenario(s); sizes %s to" \
			" %s slots; modes %s.\n", src, nrows, ng, nsc, fsize(xmin), fsize(xmax),
			pretty(modes) > md
	else
		printf "Source: `%s`: no rows of rlab-study, %d line(s) of rlab-repro.\n",
			src, nrp > md
	if (nbad) printf "%d malformed row(s) were skipped.\n", nbad > md
	if (nmemb)
		printf "%d row(s) of rlab-study give membarrier waits (gp_source): not in the" \
			" grace-period column, which is the module's grace periods.\n", nmemb > md
	print "" > md
	if (nrows) {
		printf "Kernel(s): %s.\n", pretty(kers) > md
		print "" > md
		print "| scenario | preempt | stall timeout | CPUs | hog | kernel | accel | teardowns |" > md
		print "|---|---|--:|--:|---|---|---|--:|" > md
		for (s = 1; s <= nsc; s++)
			printf "| %s | %s | %s s | %s | %s | %s | %s | %d |\n", SCN[s],
				pretty(SC_pre[s]), pretty(SC_to[s]), pretty(SC_cpus[s]),
				fhogs(SC_hog[s]), pretty(SC_ker[s]), pretty(SC_acc[s]), SC_n[s] > md
		print "" > md
		print "Modes: `plain` is the upstream reuseport_array_free() loop (one RCU" \
			" read-side section for the whole array); `resched` adds cond_resched_rcu()" \
			" per slot (a no-op on kernels with CONFIG_PREEMPT_RCU=y); `batch:K` drops" \
			" the RCU read lock and calls cond_resched() every K slots." > md
		print "" > md
		print "## Results" > md
		print "" > md
		print "One row per scenario, array size and mode. Medians are over the repetitions" \
			" (reps); \"grace period max\" is the longest grace period (the module's" \
			" probe, gp_source probe) completed during the free loop, over all reps" \
			" (`-`: none completed); \"stalls\" is k/n = reps in which the kernel printed" \
			" an RCU CPU stall warning, with the warning kind(s): `FLAVOR:self-detected`" \
			" = the stalled CPU reported itself, `FLAVOR:detected` = another CPU reported" \
			" the stall, `+tasks-blocked` = the warning also listed preempted readers" \
			" blocking the grace period." > md
		print "" > md
		while ((getline line < tf) > 0) print line > md
		close(tf)
		print "" > md
		conclusions()
	}
	if (nrows) extrapolation()
	if ("native,ns_per_slot" in F || nnat) realhw()
	if (nvm) vmrepro()
	if (nrows) plotstext()
	close(md)
}
