# lasuite-emu in a small image: `docker build -t lasuite-emu .`
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked && strip target/release/lasuite-emu

FROM debian:bookworm-slim
RUN useradd --system --home-dir /data lasuite-emu && mkdir -p /data && chown lasuite-emu /data
COPY --from=build /src/target/release/lasuite-emu /usr/local/bin/lasuite-emu
USER lasuite-emu
WORKDIR /data
ENV LASUITE_EMU_LISTEN=0.0.0.0:8990 \
    LASUITE_EMU_DATA=/data
EXPOSE 8990
# bash's /dev/tcp: no curl needed in the image.
HEALTHCHECK --interval=5s --timeout=2s --start-period=2s \
  CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/8990 && printf "GET /_emu/health HTTP/1.0\r\n\r\n" >&3 && grep -q "200 OK" <&3'
ENTRYPOINT ["lasuite-emu"]
CMD ["serve"]
