# A Zeek worker that reads udpcapd's rings: Zeek with udpcap's shmring
# packet source plugin. Zeek itself is not built here (that takes most of
# an hour); the image takes an installed Zeek 8 (prefix /opt/zeek, built for
# Debian 12) as the build context named "zeek":
#
#   podman build -f deploy/container/Containerfile.zeek \
#       --build-context zeek=/opt/zeek -t udpcap-zeek:0.1.0 .
#
# from the top of the source tree (and, without a registry,
# --build-arg DEBIAN_IMAGE=localhost/debian:bookworm, see make-base-image.sh).
# Run: zeek -i shmring::worker-N [scripts...] (the entry point is zeek).
ARG DEBIAN_IMAGE=docker.io/library/debian:bookworm

FROM ${DEBIAN_IMAGE} AS build
# The same list as in Containerfile keeps this layer shared between the two.
RUN apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        gcc libc6-dev meson ninja-build pkg-config clang llvm bpftool \
        libpcap-dev libbpf-dev libelf-dev zlib1g-dev liburing-dev libinih-dev \
        libmicrohttpd-dev libjson-c-dev libcap-dev >/dev/null && \
    rm -rf /var/lib/apt/lists/*
RUN apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        cmake g++ make libssl-dev >/dev/null && \
    rm -rf /var/lib/apt/lists/*
COPY --from=zeek . /opt/zeek/
COPY . /src
WORKDIR /src
ENV PATH=/opt/zeek/bin:$PATH
RUN meson setup /build --prefix=/usr -Doptimization=2 -Ddebug=false -Dsystemd=disabled \
        -Dzeek=enabled -Debpf=disabled -Dfuzz=disabled >/dev/null && \
    meson compile -C /build zeekbridge/zeek-plugin && \
    mkdir -p /staging/opt && cp -a /opt/zeek /staging/opt/ && \
    rm -rf /staging/opt/zeek/include && \
    DESTDIR=/staging cmake --install /build/zeekbridge/plugin >/dev/null && \
    mkdir -p /staging/usr/lib/x86_64-linux-gnu && \
    find /build/lib -maxdepth 1 -name 'libudpcap.so.0*' ! -type d \
        -exec cp -P {} /staging/usr/lib/x86_64-linux-gnu/ ';'

FROM ${DEBIAN_IMAGE}
# Zeek's runtime libraries (and libudpcap's: libinih).
RUN apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        libpcap0.8 libssl3 zlib1g libmaxminddb0 libkrb5-3 libsqlite3-0 libzmq5 \
        liburing2 libstdc++6 libinih1 >/dev/null && \
    rm -rf /var/lib/apt/lists/*
# Zeek without its headers, the plugin and libudpcap.
COPY --from=build /staging/ /
RUN ldconfig && \
    /opt/zeek/bin/zeek -N Udpcap::ShmRing >/dev/null
ENV PATH=/opt/zeek/bin:$PATH
# Numeric, so that Kubernetes' runAsNonRoot can verify it; the same group as
# udpcapd's image, so the rings (0660) are readable.
USER 10001:10001
WORKDIR /tmp
ENTRYPOINT ["/opt/zeek/bin/zeek"]
LABEL org.opencontainers.image.title="udpcap-zeek" \
      org.opencontainers.image.description="Zeek worker with udpcap's shmring packet source" \
      org.opencontainers.image.licenses="BSD-3-Clause"
