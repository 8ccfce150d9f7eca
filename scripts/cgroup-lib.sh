# Shared shell helpers for scripts/demo and the benchmarks (sourced).

# Sets CG_ROOT and CG_MODE (v2|v1) for the hierarchy holding the cpu
# controller, the same rule as the agent: cgroup2 listing "cpu", else a v1
# mount with the cpu option.  CG_ACCT is the v1 cpuacct mount, if any.
cg_detect() {
	CG_ROOT= CG_MODE= CG_ACCT=
	local mnt fstype opts
	# mountinfo: ID PARENT DEV ROOT MOUNTPOINT OPTS [TAGS...] - FSTYPE SRC SUPEROPTS
	while read -r mnt fstype opts; do
		if [ "$fstype" = cgroup2 ] && [ -z "$CG_ROOT" ] &&
		   grep -qw cpu "$mnt/cgroup.controllers" 2>/dev/null; then
			CG_ROOT=$mnt CG_MODE=v2
		elif [ "$fstype" = cgroup ] && [[ ",$opts," == *,cpu,* ]] && [ -z "$CG_ROOT" ]; then
			CG_ROOT=$mnt CG_MODE=v1
		fi
		if [ "$fstype" = cgroup ] && [[ ",$opts," == *,cpuacct,* ]]; then
			CG_ACCT=$mnt
		fi
	done < <(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { print $5, $(i+1), $(i+3); break } }' /proc/self/mountinfo)
	[ -n "$CG_ROOT" ] || { echo "no cgroup hierarchy with the cpu controller" >&2; return 1; }
}

# cg_mk REL: creates REL (and parents) under the cpu root (and cpuacct on v1),
# enabling the cpu controller for children on v2.
cg_mk() {
	local rel=$1 p= part
	IFS=/ read -ra parts <<<"$rel"
	for part in "${parts[@]}"; do
		if [ "$CG_MODE" = v2 ]; then
			echo +cpu >"$CG_ROOT/${p:+$p/}cgroup.subtree_control" 2>/dev/null || true
		fi
		p=${p:+$p/}$part
		mkdir -p "$CG_ROOT/$p"
		[ -n "$CG_ACCT" ] && [ "$CG_MODE" = v1 ] && mkdir -p "$CG_ACCT/$p"
	done
	return 0
}

# cg_weight REL SHARES: v1 cpu.shares, or the same ratio as v2 cpu.weight.
cg_weight() {
	if [ "$CG_MODE" = v1 ]; then
		echo "$2" >"$CG_ROOT/$1/cpu.shares"
	else
		# cgw_shares_to_weight(): rounded to nearest, clamped 1..10000
		local w=$((($2 * 100 + 512) / 1024))
		[ "$w" -ge 1 ] || w=1
		[ "$w" -le 10000 ] || w=10000
		echo "$w" >"$CG_ROOT/$1/cpu.weight"
	fi
}

# cg_join REL PID
cg_join() {
	echo "$2" >"$CG_ROOT/$1/cgroup.procs"
	if [ "$CG_MODE" = v1 ] && [ -n "$CG_ACCT" ]; then
		echo "$2" >"$CG_ACCT/$1/cgroup.procs"
	fi
}

# cg_usage_ns REL: the kernel's cumulative CPU time of REL.
cg_usage_ns() {
	if [ "$CG_MODE" = v2 ]; then
		echo $(( $(sed -n 's/^usage_usec //p' "$CG_ROOT/$1/cpu.stat") * 1000 ))
	else
		cat "$CG_ACCT/$1/cpuacct.usage"
	fi
}

# cg_rm REL...: removes the cgroups, children first, after their tasks exit.
cg_rm() {
	local rel d
	for rel in "$@"; do
		for d in "$CG_ROOT/$rel" ${CG_ACCT:+"$CG_ACCT/$rel"}; do
			[ -d "$d" ] || continue
			find "$d" -depth -type d -exec rmdir {} + 2>/dev/null ||
				{ sleep 0.2; find "$d" -depth -type d -exec rmdir {} + 2>/dev/null; } || true
		done
	done
}
