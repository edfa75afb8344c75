# SPDX-License-Identifier: GPL-2.0
# rlab-report-check.awk: rlab-report's first pass, which writes nothing.
#
#   awk -v src=NAME -f rlab-report-check.awk COLUMNS STUDY.csv
#
# Reads the schema from COLUMNS (tools/columns: "form NAME REGEX" and
# "column NAME SINCE FORM MEANING" lines), then checks that STUDY.csv's
# header is one of the schema's (the first N names, N one of the SINCE
# values), that it has a data row, and that every field of every row
# matches its column's form.  Exits 1 with a message naming the line and
# the field on the first failure, 0 when the file may be read.
BEGIN { FS = "\t+" }
FNR == NR {
	if ($1 == "form") form[$2] = $3
	else if ($1 == "column") {
		n++; name[n] = $2; fname[n] = $4; len[$3] = 1
		if (!($4 in form)) { bad = "column " $2 ": unknown form " $4; exit 1 }
	}
	next
}
FNR == 1 {
	if (!nlen) {
		# the accepted headers: the first L names for each SINCE value L
		h = ""
		for (i = 1; i <= n; i++) {
			h = h (i > 1 ? "," : "") name[i]; pat[i] = form[fname[i]]
			if (i in len) { HDR[h] = i; nlen++; want = want "\n  or:       " h }
		}
		sub(/^\n  or:       /, "", want)
		FS = ","
	}
	sub(/\r$/, "")
	if (!($0 in HDR)) {
		bad = "header does not match\n  expected: " want "\n  found:    " $0
		exit 1
	}
	hdr = $0; ncols = HDR[$0]
	next
}
{ sub(/\r$/, "") }
$0 in HDR { next }
/^[ \t]*$/ { next }
{
	rows++
	for (i = 1; i <= NF && i <= n; i++) {
		f = $i
		gsub(/^[ \t]+|[ \t]+$/, "", f)
		if (f !~ pat[i]) {
			at = ":" FNR
			bad = sprintf("field %d (%s) \"%s\" is not of the form %s; refusing the file",
				      i, name[i], f, pat[i])
			exit 1
		}
	}
}
END {
	if (bad == "" && !n) bad = "no columns in the schema"
	if (bad == "" && !hdr) bad = "no header"
	if (bad == "" && !rows) bad = "no data rows after the header"
	if (bad != "") {
		printf "rlab-report: %s%s: %s\n", src, at, bad > "/dev/stderr"
		exit 1
	}
}
