#!/bin/sh
# build-deps.sh: before make compiles anything, check that pkg-config finds
# the libraries (pkg-config names as arguments: hwloc jansson [check]) and,
# for each missing one, say which Debian package provides it and print the
# exact install line, instead of letting the compiler fail on a header.
#
#   sh scripts/build-deps.sh hwloc jansson check
#
# Exit status: 0 every library found, 1 otherwise (after the message).
set -eu

deb_of() {
	case $1 in
	hwloc) echo libhwloc-dev ;;
	jansson) echo libjansson-dev ;;
	check) echo "check libsubunit-dev" ;;
	*) echo "lib$1-dev" ;;
	esac
}

if ! command -v pkg-config >/dev/null 2>&1; then
	missing="pkg-config" debs="pkg-config"
	for lib in "$@"; do debs="$debs $(deb_of "$lib")"; done
else
	missing="" debs=""
	for lib in "$@"; do
		if ! pkg-config --exists "$lib" 2>/dev/null; then
			missing="$missing $lib"
			debs="$debs $(deb_of "$lib")"
		fi
	done
	missing=${missing# } debs=${debs# }
fi
[ -z "$missing" ] && exit 0

echo "tvp: cannot build: pkg-config does not find: $missing" >&2
echo "tvp: on Debian or Ubuntu, install them with:" >&2
echo "       sudo apt-get install $debs" >&2
echo "     or run 'sh scripts/deps.sh' as root, which installs everything tvp needs" >&2
echo "     (PKG_CONFIG_PATH names other places to look for the .pc files)" >&2
exit 1
