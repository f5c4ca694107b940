# The PostgreSQL majors that the tests run on, and where each comes from.
# Sourced by test/setup.sh and test/run-tests.sh (as root).
#
# The host's own Debian release serves one major (15 on Debian 12); each other
# major runs in a chroot of the Debian release that ships it, set up once per
# machine with that release's binary packages and kept in a cache directory
# outside the clone:
#
#   $ETHAUDIT_CI_CACHE/pgMAJOR/root      the chroot
#   $ETHAUDIT_CI_CACHE/pgMAJOR/version   the postgresql-MAJOR package version installed
#   $ETHAUDIT_CI_CACHE/pgMAJOR.lock      held while the chroot is set up or used
#
# Variables: PG_MAJORS (default: all of ALL_MAJORS) picks the majors, e.g.
# PG_MAJORS=17 for a quick loop on one; ETHAUDIT_CI_CACHE moves the cache.

ALL_MAJORS="15 17 18"
PG_MAJORS=${PG_MAJORS:-$ALL_MAJORS}
ETHAUDIT_CI_CACHE=${ETHAUDIT_CI_CACHE:-/var/cache/ethaudit-ci}

# where a major comes from: "host", or the Debian suite of its chroot
major_source() {
    case $1 in
        15) echo host ;;
        17) echo trixie ;;    # Debian 13
        18) echo sid ;;       # no stable release ships 18 yet
        *) return 1 ;;
    esac
}

# what the tests need inside a chroot for major $1
chroot_packages() {
    echo make gcc libc6-dev perl "postgresql-$1" "postgresql-server-dev-$1" \
        "postgresql-$1-pgtap" "postgresql-$1-cron" libtap-parser-sourcehandler-pgtap-perl
}

# Debian's layout, the same on the host and in every chroot
pg_config_of() { echo "/usr/lib/postgresql/$1/bin/pg_config"; }

major_dir() { echo "$ETHAUDIT_CI_CACHE/pg$1"; }
chroot_root() { echo "$ETHAUDIT_CI_CACHE/pg$1/root"; }
where_repo_is_mounted=/ethaudit

# The Debian archive this machine's apt uses, read from its apt configuration
# at run time (the main suite of the host's own release).
host_mirror() {
    local codename uri
    codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
    uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 2>/dev/null |
        awk -v c="$codename" '$2 == c && $3 == "main" { print $1; exit }')
    if [ -z "$uri" ]; then   # indextargets is empty before the first apt-get update
        uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ { print $2; exit }')
    fi
    if [ -z "$uri" ]; then
        uri=$(cat /etc/apt/sources.list 2>/dev/null | awk '$1 == "deb" { print $2; exit }')
    fi
    [ -n "$uri" ] || { echo "cannot find the Debian archive in the apt configuration" >&2; return 1; }
    echo "${uri%/}"
}

# ---------- mounts for using a chroot ----------
# mount_chroot ROOT REPO: /proc, /dev, /dev/pts, /dev/shm (PostgreSQL's shared
# memory) and the repository; umount_chroot ROOT undoes it, also after a
# failure half way (register it with trap).
chroot_mounts=()
mount_chroot() {
    local root=$1 repo=${2:-}
    mkdir -p "$root/proc" "$root/dev" "$root$where_repo_is_mounted"
    mount -t proc proc "$root/proc" && chroot_mounts+=("$root/proc") || return 1
    mount --bind /dev "$root/dev" && chroot_mounts+=("$root/dev") || return 1
    mount --bind /dev/pts "$root/dev/pts" && chroot_mounts+=("$root/dev/pts") || return 1
    mount --bind /dev/shm "$root/dev/shm" && chroot_mounts+=("$root/dev/shm") || return 1
    if [ -n "$repo" ]; then
        mount --bind "$repo" "$root$where_repo_is_mounted" && chroot_mounts+=("$root$where_repo_is_mounted") || return 1
    fi
}
umount_chroot() {
    local i m
    for ((i = ${#chroot_mounts[@]} - 1; i >= 0; i--)); do
        m=${chroot_mounts[i]}
        umount "$m" 2>/dev/null || umount -l "$m" || echo "could not unmount $m" >&2
    done
    chroot_mounts=()
}

# anything still mounted below $1 (a chroot must never be removed then: the
# repository or /dev would go with it)
mounted_below() {
    awk -v r="$1/" 'index($5 "/", r) == 1 { print $5 }' /proc/self/mountinfo
}

# in_chroot MAJOR COMMAND...: runs COMMAND in the major's chroot (mounted by
# the caller) with a clean environment
in_chroot() {
    local root
    root=$(chroot_root "$1")
    shift
    chroot "$root" /usr/bin/env -i HOME=/root LANG="${LANG:-C.UTF-8}" CI="${CI:-}" \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        DEBIAN_FRONTEND=noninteractive "$@"
}
