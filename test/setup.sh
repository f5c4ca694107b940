#!/usr/bin/env bash
# Installs everything the build, the demo and the tests need on Debian 12, for
# every PostgreSQL major of the test matrix (test/lib/majors.sh): the host's
# own major with apt, each other major as a chroot of the Debian release that
# ships it, set up once per machine in a cache outside the clone and refreshed
# when that release serves a newer PostgreSQL.  Run as root.  Safe to run again.
#
#   PG_MAJORS=15 test/setup.sh     only the majors named
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib/majors.sh

export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -q -o DPkg::Lock::Timeout=600 "$@"; }

host_packages() {   # $1 = major
    echo "postgresql-$1"                       # server (pg_regress, initdb, pgbench)
    echo postgresql-common                     # pg_virtualenv
    echo "postgresql-server-dev-$1"            # PGXS and server headers
    echo "postgresql-$1-pgtap"                 # pgTAP
    echo libtap-parser-sourcehandler-pgtap-perl # pg_prove
    echo "postgresql-$1-cron"                  # pg_cron, for scheduled audits
}

# clang and libFuzzer with the sanitizers' runtime: the fuzzer of the core (test/fuzz)
packages=(make gcc clang-14 libclang-rt-14-dev)
chroot_majors=()
for major in $PG_MAJORS; do
    source=$(major_source "$major") || { echo "PostgreSQL $major is not in the test matrix ($ALL_MAJORS)" >&2; exit 1; }
    if [ "$source" = host ]; then
        read -ra more <<<"$(host_packages "$major" | tr '\n' ' ')"
        packages+=("${more[@]}")
    else
        chroot_majors+=("$major")
    fi
done
[ ${#chroot_majors[@]} -gt 0 ] && packages+=(debootstrap)

apt_get update
apt_get install -y --no-install-recommends "${packages[@]}"

# the apt settings of this machine that reaching its archive may depend on
host_acquire_config() {
    apt-config dump | grep -E '^Acquire::(Check-Valid-Until|Check-Date|Retries|https?::Proxy)' || true
}

# apt-get in the chroot of major $1, its output kept in the chroot's setup.log
chroot_apt() {
    local major=$1 log
    shift
    log="$(major_dir "$major")/setup.log"
    in_chroot "$major" apt-get -q "$@" >>"$log" 2>&1 || { tail -30 "$log"; return 1; }
}

installed_version() {   # $1 = major
    in_chroot "$1" dpkg-query -W -f '${Version}' "postgresql-$1"
}

new_chroot() {   # $1 = major, $2 = Debian suite
    local major=$1 suite=$2 root mirror dir
    dir=$(major_dir "$major")
    root=$(chroot_root "$major")
    if [ -n "$(mounted_below "$root")" ]; then
        echo "$root still has mounts, not removing it:" >&2
        mounted_below "$root" >&2
        return 1
    fi
    rm -rf "$root" "$dir/version"
    mirror=$(host_mirror)
    echo "debootstrap $suite into $root"
    debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$dir/debootstrap.log" 2>&1 \
        || { tail -30 "$dir/debootstrap.log"; return 1; }

    host_acquire_config >"$root/etc/apt/apt.conf.d/00host-acquire"
    echo 'APT::Install-Recommends "false";' >"$root/etc/apt/apt.conf.d/00no-recommends"
    # no documentation: the chroot only builds and tests
    printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-exclude /usr/share/man/*' \
        'path-exclude /usr/share/locale/*' >"$root/etc/dpkg/dpkg.cfg.d/01-nodoc"
    # no service starts inside the chroot: the tests start their own clusters
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    cp /etc/resolv.conf "$root/etc/resolv.conf"

    mount_chroot "$root"
    : >"$dir/setup.log"
    chroot_apt "$major" update
    chroot_apt "$major" install -y postgresql-common
    # the tests make their own clusters; no default one
    sed -i 's/^#* *create_main_cluster *=.*/create_main_cluster = false/' \
        "$root/etc/postgresql-common/createcluster.conf"
    # shellcheck disable=SC2046
    chroot_apt "$major" install -y $(chroot_packages "$major")
    umount_chroot
}

# Upgrades the chroot's packages when its suite serves a newer PostgreSQL,
# and adds packages newly listed in chroot_packages; a failed look-up keeps
# the chroot as it is.
refresh_chroot() {   # $1 = major
    local major=$1 root candidate
    root=$(chroot_root "$major")
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    mount_chroot "$root"
    : >"$(major_dir "$major")/setup.log"
    if ! chroot_apt "$major" update; then
        echo "warning: could not refresh the package lists of $root; using it as it is" >&2
        umount_chroot
        return 0
    fi
    candidate=$(in_chroot "$major" apt-cache policy "postgresql-$major" | awk '/Candidate:/ { print $2 }')
    if [ -n "$candidate" ] && [ "$candidate" != "$(installed_version "$major")" ]; then
        echo "PostgreSQL $major: upgrading the chroot to $candidate"
        chroot_apt "$major" full-upgrade -y
    fi
    # shellcheck disable=SC2046
    chroot_apt "$major" install -y $(chroot_packages "$major")
    umount_chroot
}

setup_chroot() {   # $1 = major; run in a subshell (own lock and trap)
    local major=$1 suite dir root start how
    suite=$(major_source "$major")
    dir=$(major_dir "$major")
    root=$(chroot_root "$major")
    start=$SECONDS
    mkdir -p "$dir"
    exec 9>"$ETHAUDIT_CI_CACHE/pg$major.lock"
    flock 9
    trap umount_chroot EXIT
    trap 'exit 130' INT TERM    # so that the EXIT trap unmounts
    if [ -e "$root/.ethaudit-ready" ]; then
        refresh_chroot "$major"
        how=cached
    else
        new_chroot "$major" "$suite"
        touch "$root/.ethaudit-ready"
        how="set up"
    fi
    installed_version "$major" >"$dir/version"
    echo "PostgreSQL $major ($(cat "$dir/version"), Debian $suite chroot): $how in $((SECONDS - start)) s"
}

for major in "${chroot_majors[@]}"; do
    (setup_chroot "$major")
done
